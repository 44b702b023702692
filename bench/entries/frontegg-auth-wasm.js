// This SDK as an app bundles it: the wasm is fetched beside the bundle at run time.
import { createAuth, verifyAccessToken, FronteggError } from "../../pkg/index.js";

export { createAuth, verifyAccessToken, FronteggError };
