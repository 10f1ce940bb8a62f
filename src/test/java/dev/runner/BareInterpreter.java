package dev.runner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The baseline of the benchmarks: a language image's own interpreter run bare on the host, by
 * chroot into the image's mounted root (no container, no supervisor, no cgroup, no seccomp, no user
 * namespace), with the same clean environment the supervisor gives a program. The host's own
 * interpreters are other builds (another Node major, another Python patch level), so they would
 * measure the difference between binaries rather than the sandbox's cost.
 */
public final class BareInterpreter implements AutoCloseable {
  private final String image;
  private final String root;

  public BareInterpreter(String image) throws IOException, InterruptedException {
    this.image = image;
    this.root = podman("image", "mount", image).trim();
  }

  /** The image's root as mounted on the host: read-only, and shared with every other mount of the image. */
  public String root() {
    return root;
  }

  /** Runs {@code argv} (absolute paths inside the image) with {@code stdin}; returns its stdout. */
  public String run(List<String> argv, String stdin) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("chroot", root));
    command.addAll(argv);
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.clear();
    env.putAll(Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", "/tmp", "TMPDIR", "/tmp", "LANG", "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE", "1"));
    Process p = pb.start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    podman("image", "unmount", image);
  }

  private static String podman(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("podman"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new IOException("podman " + String.join(" ", args) + ": " + out);
    return out;
  }
}
