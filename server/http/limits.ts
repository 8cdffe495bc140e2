/** Request body limits: the default for every route, and the larger one for file uploads (imports). */
export const BODY_LIMIT = 1024 * 1024;
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;
