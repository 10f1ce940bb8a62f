package dev.runner.http;

import dev.runner.BareInterpreter;
import dev.runner.Main;
import dev.runner.TestEnvironment;
import dev.runner.config.RunnerConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Not a test: `./runner bench`. Whole jobs through the HTTP API of a real node (default pool of 2
 * sandboxes per language), side by side with the same program run bare by the image's own
 * interpreter ({@link BareInterpreter}), in one run:
 * (a) per-test cost of a 100-test job, (b) one-test job latency, (c) jobs/s at concurrency 8.
 * C's baseline is the host's gcc (the same Debian gcc 12 and glibc as the image) compiling and
 * running the same source on the host.
 */
class JobBenchmark {
  // Each defines a helper, as real submissions do, so the function detection of a job's first test is measured.
  private static final String PYTHON = "def double(n):\n    return n * 2\n\nprint(double(int(input())))\n";
  private static final String JAVASCRIPT = "const double = (n) => n * 2;\nconsole.log(double(Number(require('fs').readFileSync(0, 'utf8'))));\n";
  private static final String C = "#include <stdio.h>\nstatic long twice(long n) { return 2 * n; }\n"
      + "int main(void) { long n; if (scanf(\"%ld\", &n) != 1) return 1; printf(\"%ld\\n\", twice(n)); return 0; }\n";

  @Test
  void jobs() throws Exception {
    RunnerConfig config = TestEnvironment.node(2);
    Vertx node = Main.start(config).await();
    WebClient client = WebClient.create(node, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(config.httpPort()));
    try (BareInterpreter python = new BareInterpreter(TestEnvironment.image("python"));
         BareInterpreter javascript = new BareInterpreter(TestEnvironment.image("javascript"))) {
      List<String> barePython = List.of("/usr/bin/python3", "-c", PYTHON);
      List<String> bareJavascript = List.of("/usr/bin/node", "-e", JAVASCRIPT);
      for (int i = 0; i < 10; i++) { // warm the pool, the JIT and the page cache
        post(client, job("python", PYTHON, 1));
        post(client, job("javascript", JAVASCRIPT, 1));
        check(python.run(barePython, "21"));
        check(javascript.run(bareJavascript, "21"));
      }
      System.out.printf("%n%-52s %9s %9s %9s%n", "measure (ms unless stated)", "mean", "p50", "p99");

      // (a) a 100-test job against 100 bare runs, interleaved 5 times
      double[] perTest = new double[5], barePer = new double[5];
      for (int r = 0; r < 5; r++) {
        long t0 = System.nanoTime();
        JsonObject res = post(client, job("python", PYTHON, 100));
        if (res.getJsonObject("summary").getInteger("passed") != 100) throw new IllegalStateException(res.encode());
        long t1 = System.nanoTime();
        for (int i = 0; i < 100; i++) python.run(barePython, String.valueOf(i));
        long t2 = System.nanoTime();
        perTest[r] = (t1 - t0) / 1e6 / 100;
        barePer[r] = (t2 - t1) / 1e6 / 100;
      }
      row("(a) python, 100-test job: time per test", perTest);
      row("(a) python run bare, per run", barePer);

      // (a) the same for C: the compile once, then 100 runs of the program, against 100 bare runs
      Path dir = Files.createTempDirectory("bench-c");
      Files.writeString(dir.resolve("main.c"), C);
      List<String> compileBare = List.of("gcc", "-std=c11", "-O2", "-pipe", "-o", dir.resolve("main").toString(),
          dir.resolve("main.c").toString(), "-lm");
      host(compileBare, "");
      List<String> cBare = List.of(dir.resolve("main").toString());
      check(host(cBare, "21"));
      for (int i = 0; i < 5; i++) post(client, job("c", C, 1));
      for (int r = 0; r < 5; r++) {
        long t0 = System.nanoTime();
        JsonObject res = post(client, job("c", uncached(C), 100));
        if (res.getJsonObject("summary").getInteger("passed") != 100) throw new IllegalStateException(res.encode());
        long t1 = System.nanoTime();
        for (int i = 0; i < 100; i++) host(cBare, String.valueOf(i));
        long t2 = System.nanoTime();
        perTest[r] = (t1 - t0 - res.getJsonObject("compile").getLong("time_ms") * 1_000_000L) / 1e6 / 100;
        barePer[r] = (t2 - t1) / 1e6 / 100;
      }
      row("(a) c, 100-test job: time per test, less the compile", perTest);
      row("(a) c program run bare, per run", barePer);

      // (b) for C: a one-test job (compile and run) against a bare compile and run
      double[] cJob = new double[50], cBareMs = new double[50];
      for (int i = 0; i < 50; i++) {
        long t0 = System.nanoTime();
        post(client, job("c", uncached(C), 1));
        long t1 = System.nanoTime();
        host(compileBare, "");
        host(cBare, "21");
        long t2 = System.nanoTime();
        cJob[i] = (t1 - t0) / 1e6;
        cBareMs[i] = (t2 - t1) / 1e6;
      }
      row("(b) c, one-test job over HTTP (compile + run), 50 jobs", cJob);
      row("(b) c compiled and run bare", cBareMs);

      // (b) one-test jobs, sequential, warm pool, against one bare run each
      for (String lang : List.of("python", "javascript")) {
        String code = lang.equals("python") ? PYTHON : JAVASCRIPT;
        BareInterpreter bare = lang.equals("python") ? python : javascript;
        List<String> argv = lang.equals("python") ? barePython : bareJavascript;
        double[] job = new double[200], bareMs = new double[200];
        for (int i = 0; i < 200; i++) {
          long t0 = System.nanoTime();
          post(client, job(lang, code, 1));
          long t1 = System.nanoTime();
          bare.run(argv, "21");
          long t2 = System.nanoTime();
          job[i] = (t1 - t0) / 1e6;
          bareMs[i] = (t2 - t1) / 1e6;
        }
        row("(b) " + lang + ", one-test job over HTTP, 200 jobs", job);
        row("(b) " + lang + " run bare", bareMs);
      }

      // (c) throughput: 8 clients, each sending one-test python jobs back to back
      int total = 200;
      long t0 = System.nanoTime();
      List<Future<?>> clients = new ArrayList<>();
      int[] left = {total};
      for (int c = 0; c < 8; c++) clients.add(loop(client, left));
      Future.all(clients).await();
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("(c) python one-test jobs at concurrency 8: %.1f jobs/s (%d jobs in %.1f s)%n%n", total / seconds, total, seconds);
    } finally {
      node.close().await();
    }
  }

  /** Runs a host command with the supervisor's clean environment; returns its stdout. */
  private static String host(List<String> argv, String stdin) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().clear();
    pb.environment().putAll(Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", "/tmp", "LANG", "C.UTF-8"));
    Process p = pb.start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new IllegalStateException(argv + " failed");
    return out;
  }

  private static void check(String bareOutput) {
    if (!bareOutput.trim().equals("42")) throw new IllegalStateException("bare run printed " + bareOutput);
  }

  /** The C source with a comment of its own: the cluster's compile cache would otherwise skip its compile. */
  private static String uncached(String c) {
    return c + "/* " + System.nanoTime() + " */\n";
  }

  private static Future<Void> loop(WebClient client, int[] left) {
    if (left[0] <= 0) return Future.succeededFuture();
    left[0]--;
    return client.post("/run").sendBuffer(job("python", PYTHON, 1).toBuffer()).compose(r -> {
      if (r.statusCode() != 200) return Future.failedFuture(r.bodyAsString());
      return loop(client, left);
    });
  }

  private static JsonObject job(String language, String code, int tests) {
    JsonArray visible = new JsonArray();
    for (int i = 0; i < tests; i++) visible.add(new JsonObject().put("id", "t" + i).put("input", String.valueOf(i)).put("expected_output", String.valueOf(2 * i)));
    return new JsonObject().put("language", language).put("code", code).put("tests", new JsonObject().put("visible", visible));
  }

  private static JsonObject post(WebClient client, JsonObject job) {
    HttpResponse<Buffer> r = client.post("/run").sendBuffer(job.toBuffer()).await();
    if (r.statusCode() != 200) throw new IllegalStateException(r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static void row(String name, double[] ms) {
    double[] s = ms.clone();
    Arrays.sort(s);
    double mean = Arrays.stream(ms).average().orElse(0);
    System.out.printf("%-52s %9.2f %9.2f %9.2f%n", name, mean, s[s.length / 2], s[Math.max(0, (int) Math.ceil(s.length * 0.99) - 1)]);
  }
}
