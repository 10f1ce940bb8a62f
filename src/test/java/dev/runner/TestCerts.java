package dev.runner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made at test time by the launcher's own {@code ./runner certs DIR} (openssl), so the
 * tests use exactly what an operator gets: each call makes a fresh directory, hence fresh CAs (one
 * for the API, one for the cluster) that share nothing with another call's.
 */
public final class TestCerts {
  public final Path dir;

  private TestCerts(Path dir) {
    this.dir = dir;
  }

  public static TestCerts make() {
    try {
      Path dir = Files.createTempDirectory("runner-certs");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir))); // the keys leave with the test JVM
      Process p = new ProcessBuilder("bash", Path.of("runner").toAbsolutePath().toString(), "certs", dir.resolve("certs").toString())
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("./runner certs failed: " + out);
      return new TestCerts(dir.resolve("certs"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void delete(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort at exit
    }
  }

  public String file(String name) {
    return dir.resolve(name).toString();
  }

  /** The API's mutual TLS: the server's certificate and key, and the CA its clients' certificates must come from. */
  public Map<String, String> apiEnv() {
    return Map.of("RUNNER_TLS_CERT_FILE", file("server.pem"), "RUNNER_TLS_KEY_FILE", file("server-key.pem"),
        "RUNNER_TLS_CA_FILE", file("ca.pem"));
  }

  /** The event bus's mutual TLS: the node's certificate and key, and the cluster's CA. */
  public Map<String, String> clusterEnv() {
    return Map.of("RUNNER_CLUSTER_TLS_CERT_FILE", file("node.pem"), "RUNNER_CLUSTER_TLS_KEY_FILE", file("node-key.pem"),
        "RUNNER_CLUSTER_TLS_CA_FILE", file("cluster-ca.pem"));
  }
}
