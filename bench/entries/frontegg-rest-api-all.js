// @frontegg/rest-api the way its README uses it: the `api` object (every module comes along).
import { api, ContextHolder } from "@frontegg/rest-api";

export { api, ContextHolder };
