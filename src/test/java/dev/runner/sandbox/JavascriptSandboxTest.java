package dev.runner.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runner.TestEnvironment;
import dev.runner.podman.PodmanClient;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The javascript image runs node under the supervisor, with a file put into /work. */
@ExtendWith(VertxExtension.class)
class JavascriptSandboxTest {
  private static final RunLimits LIMITS = new RunLimits(5000, 5000, 1 << 20, 64 << 10, 16 << 20, 64, 64, false);

  @Test
  @Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
  void runsAFileWithNode(Vertx vertx, VertxTestContext ctx) {
    PodmanClient podman = TestEnvironment.podman(vertx);
    String code = "const lines = require('fs').readFileSync(0, 'utf8').trim().split(' ');\n"
        + "console.log(lines.map(Number).reduce((a, b) => a + b, 0), process.getuid());\n";
    Sandbox.launch(vertx, podman, vertx.createNetClient(), TestEnvironment.template("javascript", "test"), 256L << 20)
        .onComplete(ctx.succeeding(sandbox -> sandbox.supervisor().put("main.js", code.getBytes(StandardCharsets.UTF_8), 0644, true)
            .compose(v -> sandbox.supervisor().run(List.of("/usr/bin/node", "main.js"), "1 2 39".getBytes(StandardCharsets.UTF_8), LIMITS, false))
            .eventually(sandbox::destroy)
            .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
              assertEquals(0, r.exitCode(), r.stderr().toString());
              assertEquals("42 1000\n", r.stdout().toString(StandardCharsets.UTF_8));
              ctx.completeNow();
            })))));
  }

  /** Node's own threads (libuv's pool, V8's workers) are threads: a threads-only run keeps them. */
  @Test
  @Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
  void nodeRunsWithThreadsOnlyButCannotSpawn(Vertx vertx, VertxTestContext ctx) {
    PodmanClient podman = TestEnvironment.podman(vertx);
    String code = "const { Worker } = require('worker_threads');\n"
        + "const w = new Worker('require(\"worker_threads\").parentPort.postMessage(6 * 7)', { eval: true });\n"
        + "w.on('message', (m) => {\n"
        + "  let spawned;\n"
        + "  try { require('child_process').execFileSync('/bin/true'); spawned = 'spawned'; } catch (e) { spawned = e.code; }\n"
        + "  console.log(m, spawned);\n"
        + "});\n";
    RunLimits threadsOnly = new RunLimits(5000, 5000, 1 << 20, 64 << 10, 16 << 20, 64, 64, true);
    Sandbox.launch(vertx, podman, vertx.createNetClient(), TestEnvironment.template("javascript", "test"), 256L << 20)
        .onComplete(ctx.succeeding(sandbox -> sandbox.supervisor().put("main.js", code.getBytes(StandardCharsets.UTF_8), 0644, true)
            .compose(v -> sandbox.supervisor().run(List.of("/usr/bin/node", "main.js"), new byte[0], threadsOnly, false))
            .eventually(sandbox::destroy)
            .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
              assertEquals("42 EAGAIN\n", r.stdout().toString(StandardCharsets.UTF_8), r.stderr().toString());
              ctx.completeNow();
            })))));
  }
}
