const run = async (command: string[], env: Record<string, string> = {}) => {
  const child = Bun.spawn(command, {
    stdout: "inherit",
    stderr: "inherit",
    env: { ...process.env, ...env },
  });
  return (await child.exited) === 0;
};

/**
 * Makes sure every one of `commands` is on the PATH: when one is missing, installs Debian's `pkg` with
 * apt-get (as root, or through sudo; `apt-get update` first, since a fresh machine's package lists may be
 * empty or stale). Throws when they are still missing afterwards.
 */
export async function ensureDebianPackage(
  pkg: string,
  commands: readonly string[],
  log: (line: string) => void = console.log,
): Promise<void> {
  if (commands.every((command) => Bun.which(command))) return;
  log(`${commands.join("/")} missing: installing Debian's ${pkg} package (apt-get)`);
  const apt = { DEBIAN_FRONTEND: "noninteractive" };
  // Root here; a CI runner's user goes through password-less sudo.
  const asRoot = process.getuid?.() === 0 || !Bun.which("sudo") ? [] : ["sudo", "-n", "-E"];
  const installed =
    (await run([...asRoot, "apt-get", "update", "-qq"], apt)) &&
    (await run([...asRoot, "apt-get", "install", "-y", "-qq", "--no-install-recommends", pkg], apt));
  if (!installed || !commands.every((command) => Bun.which(command))) {
    throw new Error(`could not install Debian's ${pkg} package (needs root and apt-get)`);
  }
}
