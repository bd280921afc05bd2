/** Marks what verify emulates (extension comments, errors), so it is never mistaken for the real thing. */
export const EMULATED = "emulated by create-video-backend verify";
