/** Style sheets imported by the page's entry point are bundled by esbuild into app.bundle.css. */
declare module "*.css";
