export const SESSION_COOKIE_NAME = "tg_session";
