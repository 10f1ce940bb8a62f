package dev.runner.sandbox;

import dev.runner.podman.PodmanClient;
import io.vertx.core.Vertx;
import java.nio.file.Path;

/** What `./runner test` hands the tests: Podman's socket, the state dir and the images it built. */
final class TestEnvironment {
  private TestEnvironment() {}

  static PodmanClient podman(Vertx vertx) {
    return new PodmanClient(vertx, System.getenv().getOrDefault("RUNNER_PODMAN_SOCKET", "/run/runner/podman.sock"));
  }

  static Path stateDir() {
    return Path.of(System.getenv().getOrDefault("RUNNER_STATE", "/var/lib/runner"));
  }

  static String image(String language) {
    String images = System.getenv("RUNNER_IMAGES");
    if (images == null) throw new IllegalStateException("RUNNER_IMAGES is not set: run the tests with ./runner test");
    for (String pair : images.split(",")) if (pair.startsWith(language + "=")) return pair.substring(language.length() + 1);
    throw new IllegalStateException("no image for " + language + " in RUNNER_IMAGES");
  }

  /** A label of this JVM's own, so concurrent runs never touch each other's containers. */
  static String label(String prefix) {
    return prefix + "-" + ProcessHandle.current().pid();
  }
}
