export { QueueExecutor, rolloutKey, type QueueStatus } from "./queue-executor.js";
export { QueueWorker, type QueueWorkerOptions } from "./worker.js";
export { localIdentity, localSandboxMode, queueName, refusal, QUEUE_PROTOCOL, type Identity } from "./protocol.js";
export { redisTarget, connectRedis, type RedisTarget } from "./redis.js";
