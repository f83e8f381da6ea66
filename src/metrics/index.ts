export { stableSum, stableMean } from "./sum.js";
export { rocAuc, meanColumnRocAuc } from "./roc-auc.js";
export { accuracy, quadraticWeightedKappa } from "./classification.js";
export { multiclassLogLoss, LOG_LOSS_EPS } from "./log-loss.js";
export { rmsle, meanColumnRmsle, pearson } from "./regression.js";
export { wordJaccard, meanWordJaccard, lowerWords } from "./jaccard.js";
