export const SESSION_COOKIE_NAME = "tg_session";
/** IDN-6: the rotating refresh token of the embedded provider (lib/auth/embedded/refresh.ts). */
export const REFRESH_COOKIE_NAME = "tg_refresh";
