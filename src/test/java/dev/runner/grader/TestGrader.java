package dev.runner.grader;

import dev.runner.TestCerts;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A grader for the tests: HTTPS with a client certificate required (of {@code clientCa}'s CA),
 * serving queued answers to {@code GET /job} (204 when the queue is empty) and collecting {@code POST
 * /result} bodies, the first {@link #failPosts} of them refused with a 503. On a Vertx of its own.
 */
final class TestGrader implements AutoCloseable {
  /** An answer to GET /job: a status, a body (null: none), after a delay. */
  record Answer(int status, String body, long delayMs) {
    static Answer job(JsonObject job) {
      return new Answer(200, job.encode(), 0);
    }
  }

  final Vertx vertx = Vertx.vertx();
  final ConcurrentLinkedDeque<Answer> answers = new ConcurrentLinkedDeque<>();
  final List<JsonObject> results = new CopyOnWriteArrayList<>();
  /** GET /job requests (that passed the handshake), jobs handed out, POST /result requests. */
  final AtomicInteger polls = new AtomicInteger(), served = new AtomicInteger(), posts = new AtomicInteger();
  final AtomicInteger failPosts = new AtomicInteger();
  private final HttpServer server;

  /** Serves with {@code serverCerts}' server certificate, taking clients of {@code clientCa}'s CA, on {@code port} (0: any). */
  TestGrader(TestCerts serverCerts, TestCerts clientCa, int port) {
    this(serverCerts, clientCa, "127.0.0.1", port);
  }

  TestGrader(TestCerts serverCerts, TestCerts clientCa, String host, int port) {
    HttpServerOptions o = new HttpServerOptions().setHost(host).setPort(port).setSsl(true).setUseAlpn(false)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(serverCerts.file("server.pem")).setKeyPath(serverCerts.file("server-key.pem")))
        .setTrustOptions(new PemTrustOptions().addCertPath(clientCa.file("ca.pem"))).setClientAuth(ClientAuth.REQUIRED);
    server = vertx.createHttpServer(o).requestHandler(this::handle).listen().await();
  }

  TestGrader(TestCerts certs) {
    this(certs, certs, 0);
  }

  int port() {
    return server.actualPort();
  }

  String url() {
    return "https://127.0.0.1:" + port();
  }

  TestGrader queue(JsonObject... jobs) {
    for (JsonObject j : jobs) answers.add(Answer.job(j));
    return this;
  }

  private void handle(HttpServerRequest req) {
    if (req.method().name().equals("GET") && req.path().equals("/job")) {
      polls.incrementAndGet();
      Answer a = answers.poll();
      if (a == null) {
        req.response().setStatusCode(204).end();
        return;
      }
      if (a.status() == 200) served.incrementAndGet();
      Runnable send = () -> {
        req.response().setStatusCode(a.status());
        if (a.body() == null) req.response().end();
        else req.response().putHeader("content-type", "application/json").end(a.body());
      };
      if (a.delayMs() > 0) vertx.setTimer(a.delayMs(), t -> send.run());
      else send.run();
    } else if (req.method().name().equals("POST") && req.path().equals("/result")) {
      req.body().onSuccess((Buffer b) -> {
        posts.incrementAndGet();
        if (failPosts.getAndDecrement() > 0) {
          req.response().setStatusCode(503).end("busy");
          return;
        }
        results.add(new JsonObject(b));
        req.response().setStatusCode(200).end();
      });
    } else {
      req.response().setStatusCode(404).end();
    }
  }

  /** Waits (on the test's thread) until {@code condition} holds, failing after {@code timeoutMs}. */
  static void await(String what, long timeoutMs, BooleanSupplier condition) {
    long end = System.currentTimeMillis() + timeoutMs;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > end) throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
