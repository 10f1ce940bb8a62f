package dev.runner.sandbox;

import dev.runner.BareInterpreter;
import dev.runner.TestEnvironment;
import dev.runner.podman.PodmanClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Not a test: `./runner bench`. Per-run cost of a trivial python3 program through the resident
 * supervisor (host → unix socket → fork/exec in the sandbox → result) against the same program run
 * bare by the image's own python3 ({@link BareInterpreter}), interleaved so machine noise hits both.
 */
class SupervisorBenchmark {
  private static final int RUNS = 100;
  private static final RunLimits LIMITS = new RunLimits(5000, 5000, 1 << 20, 64 << 10, 16 << 20, 64, 64, false);

  @Test
  void perRunOverhead() throws Exception {
    Vertx vertx = Vertx.vertx();
    PodmanClient podman = TestEnvironment.podman(vertx);
    Sandbox sandbox = await(Sandbox.launch(vertx, podman, vertx.createNetClient(), TestEnvironment.template("python", "bench"), 256L << 20));
    try (BareInterpreter bare = new BareInterpreter(TestEnvironment.image("python"))) {
      List<String> argv = List.of("/usr/bin/python3", "-c", "pass");
      for (int i = 0; i < 5; i++) { // warm both paths
        await(sandbox.supervisor().run(argv, new byte[0], LIMITS, false));
        bare.run(argv, "");
      }
      double[] sandboxed = new double[RUNS], bareMs = new double[RUNS];
      for (int i = 0; i < RUNS; i++) {
        long t0 = System.nanoTime();
        await(sandbox.supervisor().run(argv, new byte[0], LIMITS, false));
        long t1 = System.nanoTime();
        bare.run(argv, "");
        long t2 = System.nanoTime();
        sandboxed[i] = (t1 - t0) / 1e6;
        bareMs[i] = (t2 - t1) / 1e6;
      }
      System.out.printf("%n%-34s %8s %8s %8s%n", "python3 -c pass, " + RUNS + " runs (ms)", "mean", "p50", "p99");
      row("sandboxed (supervisor round trip)", sandboxed);
      row("bare (the image's python3, chroot)", bareMs);
      System.out.printf("overhead per run: %.2f ms (mean)%n%n", mean(sandboxed) - mean(bareMs));
    } finally {
      await(sandbox.destroy());
      vertx.close();
    }
  }

  private static void row(String name, double[] ms) {
    double[] s = ms.clone();
    Arrays.sort(s);
    System.out.printf("%-34s %8.2f %8.2f %8.2f%n", name, mean(ms), s[s.length / 2], s[(int) (s.length * 0.99) - 1]);
  }

  private static double mean(double[] ms) {
    return Arrays.stream(ms).average().orElse(0);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
