import { TOOLS_MOUNT } from "./rootfs";

/** The home directory of a sandbox, and where its commands start. */
export const SANDBOX_HOME = "/home/user";

/** The PATH of every sandbox process. */
export const SANDBOX_PATH = `${TOOLS_MOUNT}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

/** The environment every command in a sandbox or build starts from; template `env` steps and the sandbox's own variables go on top. */
export const BASE_SANDBOX_ENV: Readonly<Record<string, string>> = {
  HOME: SANDBOX_HOME,
  PATH: SANDBOX_PATH,
  LANG: "C.UTF-8",
};
