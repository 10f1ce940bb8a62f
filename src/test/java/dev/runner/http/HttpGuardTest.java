package dev.runner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.StandInCluster;
import dev.runner.TestEnvironment;
import dev.runner.cluster.Dispatcher;
import dev.runner.jobs.WorkerVerticle;
import dev.runner.config.RunnerConfig;
import dev.runner.jobs.JobRequest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP verticle's admission limits, with a stand-in worker on the event bus that replies only
 * when the test says so: what a job holds is held until the worker's reply, not the client's
 * connection; the connection cap; the node-wide budget of body bytes; an oversized body refused
 * before it is read.
 */
class HttpGuardTest {
  private static final String JOB = new JsonObject("""
      {"language": "python", "code": "print(input()[::-1])",
       "tests": {"visible": [{"id": "a", "input": "abc", "expected_output": "cba"}]}}""").encode();
  private Vertx vertx;
  private WebClient client;
  private RunnerConfig config;
  private final BlockingQueue<Message<JsonObject>> jobs = new LinkedBlockingQueue<>();
  private final BlockingQueue<JsonObject> cancellations = new LinkedBlockingQueue<>();

  private void start(Map<String, String> env) {
    config = TestEnvironment.node(1, env);
    vertx = Vertx.vertx();
    vertx.eventBus().<JsonObject>consumer(StandInCluster.address(Dispatcher.Kind.RUN, "python"), jobs::add);
    vertx.eventBus().<JsonObject>consumer(JobRequest.CANCEL_ADDRESS, m -> cancellations.add(m.body()));
    // No cache: these tests send interview jobs only, to the consumers above.
    vertx.deployVerticle(StandInCluster.http(vertx, config)).await();
    client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(config.httpPort()));
  }

  @AfterEach
  void stop() {
    if (vertx != null) vertx.close().await();
  }

  private JsonObject health() {
    return client.get("/health").send().await().bodyAsJsonObject();
  }

  private JsonObject awaitHealth(Predicate<JsonObject> until) throws InterruptedException {
    JsonObject h = health();
    for (int i = 0; i < 200 && !until.test(h); i++) {
      Thread.sleep(25);
      h = health();
    }
    assertTrue(until.test(h), h.encode());
    return h;
  }

  @Test
  void anAbandonedJobHoldsItsSlotUntilTheWorkerRepliesAndIsCancelledOnce() throws Exception {
    start(Map.of("RUNNER_MAX_PENDING", "1"));
    Socket s = RawHttp.open(config.httpPort(), RawHttp.post(JOB, JOB.length()));
    Message<JsonObject> job = jobs.poll(10, TimeUnit.SECONDS);
    assertNotNull(job, "the job never reached the worker");
    String id = job.body().getString("id");
    assertEquals(1, health().getInteger("pending_jobs"));
    RawHttp.close(s);

    JsonObject cancel = cancellations.poll(10, TimeUnit.SECONDS);
    assertNotNull(cancel, "no cancellation was published");
    assertEquals(id, cancel.getString("id"));
    JsonObject h = health();
    assertEquals(1, h.getInteger("pending_jobs"), h.encode());
    assertTrue(h.getLong("body_bytes_held") >= JOB.length(), h.encode());
    HttpResponse<Buffer> refused = client.post("/run").sendBuffer(Buffer.buffer(JOB)).await();
    assertEquals(503, refused.statusCode(), refused.bodyAsString());
    assertEquals("1", refused.getHeader("retry-after"));
    assertTrue(refused.bodyAsJsonObject().getString("error").contains("busy"), refused.bodyAsString());

    job.fail(503, "the worker's own failure");
    awaitHealth(x -> x.getInteger("pending_jobs") == 0 && x.getLong("body_bytes_held") == 0);
    assertNull(cancellations.poll(300, TimeUnit.MILLISECONDS), "cancelled more than once");

    var next = client.post("/run").sendBuffer(Buffer.buffer(JOB));
    Message<JsonObject> again = jobs.poll(10, TimeUnit.SECONDS);
    assertNotNull(again, "the freed slot was not given to the next job");
    again.fail(503, "done");
    assertEquals(503, next.await().statusCode());
    assertNull(cancellations.poll(300, TimeUnit.MILLISECONDS), "a job answered normally was cancelled");
  }

  @Test
  void aJobWhoseSandboxBrokeTwiceGetsJeForEveryTest() throws Exception {
    start(Map.of());
    var answer = client.post("/run").sendBuffer(Buffer.buffer(JOB));
    Message<JsonObject> job = jobs.poll(10, TimeUnit.SECONDS);
    assertNotNull(job, "the job never reached the worker");
    job.fail(WorkerVerticle.JUDGE_ERROR, "the sandbox stopped answering");
    HttpResponse<Buffer> r = answer.await();
    assertEquals(200, r.statusCode(), r.bodyAsString());
    JsonObject test = r.bodyAsJsonObject().getJsonObject("test_results").getJsonArray("visible").getJsonObject(0);
    assertEquals("JE", test.getString("verdict"), r.bodyAsString());
    assertTrue(test.getString("error").contains("the sandbox stopped answering"), r.bodyAsString());
  }

  @Test
  void connectionsBeyondTheCapAreClosedAtOnce() throws Exception {
    start(Map.of("RUNNER_MAX_CONNECTIONS", "20"));
    List<Socket> open = new ArrayList<>();
    try {
      for (int i = 0; i < 19; i++) open.add(RawHttp.open(config.httpPort(), ""));
      Socket twentieth = RawHttp.open(config.httpPort(), "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
      open.add(twentieth);
      String r = RawHttp.readResponse(twentieth);
      assertTrue(r.contains("\"open_connections\":20"), r);

      Socket extra = RawHttp.open(config.httpPort(), "");
      extra.setSoTimeout(2_000); // well below the 10 s header timeout
      long t0 = System.nanoTime();
      assertEquals("", RawHttp.readToEnd(extra));
      assertTrue(System.nanoTime() - t0 < 2_000_000_000L);
      RawHttp.close(extra);

      RawHttp.close(open.remove(0));
      Thread.sleep(200);
      RawHttp.send(twentieth, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes());
      assertTrue(RawHttp.readResponse(twentieth).contains("\"open_connections\":19"));
      Socket again = RawHttp.open(config.httpPort(), "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
      open.add(again);
      assertTrue(RawHttp.readResponse(again).contains("\"open_connections\":20")); // served (503: this node has no worker)
    } finally {
      open.forEach(RawHttp::close);
    }
  }

  @Test
  void bodiesBeyondTheNodesByteBudgetGet503AndTheBytesComeBack() throws Exception {
    start(Map.of("RUNNER_BODY_BUDGET_MB", "1"));
    Socket holder = RawHttp.open(config.httpPort(), RawHttp.post("{\"code\": \"" + "x".repeat(800_000), 900_000));
    try {
      awaitHealth(h -> h.getLong("body_bytes_held") >= 800_000);
      String big = "{\"code\": \"" + "y".repeat(400_000) + "\"}";
      Socket refused = RawHttp.open(config.httpPort(), RawHttp.post(big, big.length()));
      String r = RawHttp.readToEnd(refused); // answered, then closed once the client has sent it all
      RawHttp.close(refused);
      assertTrue(r.startsWith("HTTP/1.1 503 "), r);
      assertTrue(r.toLowerCase().contains("retry-after: 1"), r);
      assertTrue(r.contains("MB of request bodies"), r);
      assertTrue(health().getLong("body_bytes_held") >= 800_000);
    } finally {
      RawHttp.close(holder);
    }
    awaitHealth(h -> h.getLong("body_bytes_held") == 0);
    var next = client.post("/run").sendBuffer(Buffer.buffer(JOB)); // room again: it reaches the worker
    Message<JsonObject> job = jobs.poll(10, TimeUnit.SECONDS);
    assertNotNull(job, "a body within the budget was not run");
    job.fail(503, "done");
    assertEquals(503, next.await().statusCode());
  }

  @Test
  void aBodyDeclaredOverTheLimitIsRefusedBeforeItIsSent() {
    start(Map.of());
    Socket s = RawHttp.open(config.httpPort(), RawHttp.post("", dev.runner.jobs.Limits.MAX_BODY_BYTES + 1));
    try {
      String r = RawHttp.readResponse(s); // no body byte was sent: the answer cannot have waited for one
      assertTrue(r.startsWith("HTTP/1.1 413 "), r);
      assertTrue(r.contains("larger than 32 MB") && r.contains("\"status\":413"), r);
      assertTrue(r.toLowerCase().contains("connection: close"), r);
    } finally {
      RawHttp.close(s);
    }
    assertEquals(0, health().getLong("body_bytes_held"));
  }

  @Test
  void requestsThatAreNotValidHttpGetAJsonErrorNamingTheProblem() {
    start(Map.of());
    String[][] cases = {
        {"POST /run HTTP/1.1\r\nHost: x\r\nX-A: " + "a".repeat(20_000) + "\r\n\r\n", "431", "headers are larger than"},
        {"GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "414", "request line is longer than"},
        {"POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "400", "Content-Length"},
        {"POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}", "400", "Content-Length"},
        {"POST /run HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", "400", "Host header"},
    };
    for (String[] c : cases) {
      try (Socket s = RawHttp.open(config.httpPort(), c[0])) {
        String answer = RawHttp.readToEnd(s); // the connection is closed after the answer
        assertTrue(answer.startsWith("HTTP/1.") && answer.substring(9, 12).equals(c[1]), answer);
        JsonObject body = new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4));
        assertEquals(Integer.parseInt(c[1]), body.getInteger("status"), answer);
        assertTrue(body.getString("error").contains(c[2]), answer);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }
}
