package dev.runner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestCerts;
import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import dev.runner.cluster.Cluster;
import dev.runner.cluster.Dispatcher;
import dev.runner.config.RunnerConfig;
import dev.runner.jobs.JobRequest;
import dev.runner.jobs.JobResult;
import dev.runner.metrics.RunnerMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who may talk to a node: mutual TLS on the HTTP API (a client needs a certificate of the API's CA,
 * refused at the handshake otherwise; no clear text), bearer tokens on the API (every request but
 * GET /health), mutual TLS on the event bus between nodes, and the start refusing a partial or
 * unreadable setting. Real nodes; the certificates are made at test time by {@code ./runner certs}.
 */
class TlsAndTokensTest {
  private static final String JOB = new JsonObject("""
      {"language": "python", "code": "print(input()[::-1])",
       "tests": {"visible": [{"id": "a", "input": "abc", "expected_output": "cba"}]}}""").encode();
  private static TestCerts ours;
  private static TestCerts theirs;

  @BeforeAll
  static void certificates() {
    ours = TestCerts.make();
    theirs = TestCerts.make(); // other CAs, same names
  }

  private static WebClient https(Vertx vertx, int port, TestCerts client) {
    WebClientOptions o = new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port).setSsl(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(ours.file("ca.pem"))).setConnectTimeout(5_000);
    if (client != null) o.setKeyCertOptions(new PemKeyCertOptions().setCertPath(client.file("client.pem")).setKeyPath(client.file("client-key.pem")));
    return WebClient.create(vertx, o);
  }

  @Test
  void theApiOverMutualTlsTakesOnlyClientsWithACertificateOfItsCa() {
    try (TestNode node = TestNode.start(TestEnvironment.node(1, ours.apiEnv()))) {
      int port = node.config.httpPort();
      WebClient good = https(node.vertx, port, ours);
      HttpResponse<Buffer> health = good.get("/health").send().await();
      assertEquals(200, health.statusCode(), health.bodyAsString());
      assertEquals("healthy", health.bodyAsJsonObject().getString("status"));
      HttpResponse<Buffer> run = good.post("/run").sendBuffer(Buffer.buffer(JOB)).await();
      assertEquals(200, run.statusCode(), run.bodyAsString());
      assertEquals("OK", run.bodyAsJsonObject().getJsonObject("test_results").getJsonArray("visible").getJsonObject(0).getString("verdict"));

      // No client certificate, and one from another CA: refused at the handshake, no HTTP answer at all.
      assertThrows(Exception.class, () -> https(node.vertx, port, null).get("/health").send().await());
      assertThrows(Exception.class, () -> https(node.vertx, port, theirs).get("/health").send().await());
      // Clear text to the TLS port: no HTTP comes back.
      try (Socket s = RawHttp.open(port, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")) {
        String answer = RawHttp.readToEnd(s);
        assertFalse(answer.contains("HTTP/1.1"), answer);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      assertThrows(Exception.class, () -> node.client.get("/health").send().await());
      // The node still serves the good client after all that.
      assertEquals(200, good.get("/health").send().await().statusCode());
    }
  }

  @Test
  void withTokensEveryRequestButHealthNeedsAnAcceptedBearerToken() throws Exception {
    Path file = Files.createTempFile("runner-tokens", ".txt");
    file.toFile().deleteOnExit();
    Files.writeString(file, "# the interview platform\nfile-token-1\n\n   # rotated next week\n  file-token-2  \n");
    try (TestNode node = TestNode.start(TestEnvironment.node(1, Map.of(
        "RUNNER_API_TOKENS", "inline-token-a, inline-token-b", "RUNNER_API_TOKENS_FILE", file.toString())))) {
      WebClient c = node.client;
      HttpResponse<Buffer> none = c.post("/run").sendBuffer(Buffer.buffer(JOB)).await();
      assertUnauthorized(none, false);
      assertUnauthorized(c.get("/languages").send().await(), false);
      assertUnauthorized(c.get("/metrics").send().await(), false);
      assertUnauthorized(c.get("/no-such-thing").send().await(), false);
      assertUnauthorized(c.post("/run").putHeader("authorization", "Bearer inline-token-c").sendBuffer(Buffer.buffer(JOB)).await(), true);
      assertUnauthorized(c.post("/run").putHeader("authorization", "Bearer inline-token").sendBuffer(Buffer.buffer(JOB)).await(), true);
      assertUnauthorized(c.post("/run").putHeader("authorization", "Bearer # the interview platform").sendBuffer(Buffer.buffer(JOB)).await(), true);
      assertUnauthorized(c.get("/languages").putHeader("authorization", "Basic aW5saW5lLXRva2VuLWE=").send().await(), false);

      for (String token : new String[] {"inline-token-a", "inline-token-b", "file-token-1", "file-token-2"}) {
        HttpResponse<Buffer> r = c.post("/run").putHeader("authorization", "Bearer " + token).sendBuffer(Buffer.buffer(JOB)).await();
        assertEquals(200, r.statusCode(), token + ": " + r.bodyAsString());
        assertEquals("OK", r.bodyAsJsonObject().getJsonObject("test_results").getJsonArray("visible").getJsonObject(0).getString("verdict"));
      }
      assertEquals(200, c.get("/languages").putHeader("authorization", "bearer file-token-2").send().await().statusCode());
      assertEquals(200, c.get("/metrics").putHeader("authorization", "Bearer inline-token-b").send().await().statusCode());
      HttpResponse<Buffer> health = c.get("/health").send().await();
      assertEquals(200, health.statusCode(), health.bodyAsString());
      assertEquals(0, health.bodyAsJsonObject().getInteger("pending_jobs"));
      // A refused body is not read: its connection is not reused.
      try (Socket s = RawHttp.open(node.config.httpPort(), RawHttp.post(JOB, JOB.length()))) {
        String r = RawHttp.readResponse(s);
        assertTrue(r.startsWith("HTTP/1.1 401 ") && r.toLowerCase().contains("www-authenticate: bearer"), r);
        assertTrue(r.toLowerCase().contains("connection: close"), r);
        assertEquals("", RawHttp.readToEnd(s)); // closed after the answer
      }
    }
  }

  private static void assertUnauthorized(HttpResponse<Buffer> r, boolean tokenSent) {
    assertEquals(401, r.statusCode(), r.bodyAsString());
    assertEquals(tokenSent ? "Bearer error=\"invalid_token\"" : "Bearer", r.getHeader("www-authenticate"));
    JsonObject body = r.bodyAsJsonObject();
    assertEquals(401, body.getInteger("status"));
    assertTrue(body.getString("error").contains("token"), body.encode());
    assertFalse(r.bodyAsString().contains("inline-token"), r.bodyAsString());
  }

  @Test
  void aPartialOrUnreadableSettingFailsTheStartNamingIt() throws Exception {
    Map<String, String> partial = new HashMap<>(ours.apiEnv());
    partial.remove("RUNNER_TLS_KEY_FILE");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TestEnvironment.node(1, partial));
    assertTrue(e.getMessage().contains("RUNNER_TLS_KEY_FILE is not"), e.getMessage());

    Map<String, String> cluster = new HashMap<>(ours.clusterEnv());
    cluster.remove("RUNNER_CLUSTER_TLS_CA_FILE");
    cluster.remove("RUNNER_CLUSTER_TLS_CERT_FILE");
    e = assertThrows(IllegalArgumentException.class, () -> TestEnvironment.node(1, cluster));
    assertTrue(e.getMessage().contains("RUNNER_CLUSTER_TLS_CERT_FILE and RUNNER_CLUSTER_TLS_CA_FILE are not"), e.getMessage());

    Map<String, String> unreadable = new HashMap<>(ours.apiEnv());
    unreadable.put("RUNNER_TLS_CA_FILE", ours.file("no-such-ca.pem"));
    e = assertThrows(IllegalArgumentException.class, () -> TestEnvironment.node(1, unreadable));
    assertTrue(e.getMessage().startsWith("RUNNER_TLS_CA_FILE: cannot read ") && e.getMessage().contains("no-such-ca.pem"), e.getMessage());

    Map<String, String> swapped = new HashMap<>(ours.apiEnv());
    swapped.put("RUNNER_TLS_KEY_FILE", ours.file("server.pem"));
    e = assertThrows(IllegalArgumentException.class, () -> TestEnvironment.node(1, swapped));
    assertTrue(e.getMessage().contains("RUNNER_TLS_KEY_FILE") && e.getMessage().contains("no PEM PRIVATE KEY"), e.getMessage());

    Path empty = Files.createTempFile("runner-tokens", ".txt");
    empty.toFile().deleteOnExit();
    Files.writeString(empty, "# nothing yet\n\n");
    e = assertThrows(IllegalArgumentException.class, () -> TestEnvironment.node(1, Map.of("RUNNER_API_TOKENS_FILE", empty.toString())));
    assertTrue(e.getMessage().contains("holds no token"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TestEnvironment.node(1, Map.of("RUNNER_API_TOKENS_FILE", empty + ".gone")));
    assertTrue(e.getMessage().startsWith("RUNNER_API_TOKENS_FILE: cannot read"), e.getMessage());

    RunnerConfig plain = TestEnvironment.node(1);
    assertNull(plain.trust().apiTls());
    assertNull(plain.trust().clusterTls());
    assertFalse(plain.trust().apiTokensRequired());
  }

  /**
   * Two members of one cluster with the event bus over mutual TLS: a job sent by one is run by the
   * other's worker. A member without a certificate of the cluster's CA (none, or another CA's) still
   * joins Hazelcast (open-source membership is not authenticated) but its job never reaches the worker,
   * and a bare connection to the bus port gets nothing.
   */
  @Test
  void theEventBusBetweenNodesTakesOnlyPeersWithACertificateOfTheClustersCa() throws Exception {
    String cluster = TestEnvironment.label("runner-test-tls-bus");
    Map<String, String> env = new HashMap<>(ours.clusterEnv());
    env.put("RUNNER_CLUSTER_NAME", cluster);
    try (TestNode worker = TestNode.start(TestEnvironment.node(1, env))) {
      RunnerConfig senderConfig = TestEnvironment.node(1, env);
      JobRequest job = new RunRequestParser(senderConfig.languages(), senderConfig.http().maxJobSeconds()).parse(Buffer.buffer(JOB));
      Vertx sender = Cluster.start(senderConfig, new RunnerMetrics(senderConfig)).await().vertx();
      try {
        String address = Dispatcher.address(((VertxInternal) worker.vertx).clusterManager().getNodeId(), Dispatcher.Kind.RUN, "python");
        Message<JsonObject> reply = sender.eventBus().<JsonObject>request(address, job.toJson(),
            new DeliveryOptions().setSendTimeout(60_000).addHeader(Dispatcher.QUEUE, "yes")).await();
        assertEquals("OK", JobResult.fromJson(reply.body()).tests().get(0).verdict().name());
      } finally {
        sender.close().await();
      }

      Map<String, String> otherCa = new HashMap<>(theirs.clusterEnv());
      otherCa.put("RUNNER_CLUSTER_NAME", cluster);
      for (RunnerConfig intruder : new RunnerConfig[] {
          TestEnvironment.node(1, Map.of("RUNNER_CLUSTER_NAME", cluster)), TestEnvironment.node(1, otherCa)}) {
        Vertx v = Cluster.start(intruder, new RunnerMetrics(intruder)).await().vertx();
        try {
          assertEquals(2, ((VertxInternal) v).clusterManager().getNodes().size(), "the intruder did not even join Hazelcast");
          String address = Dispatcher.address(((VertxInternal) worker.vertx).clusterManager().getNodeId(), Dispatcher.Kind.RUN, "python");
          Exception refused = assertThrows(Exception.class, () -> v.eventBus().<JsonObject>request(address,
              job.toJson(), new DeliveryOptions().setSendTimeout(5_000)).await(), "a job reached the worker without the cluster's certificate");
          // It found the worker's registration (so not "no handlers"): the worker's bus refused it.
          assertFalse(refused instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS, refused.toString());
        } finally {
          v.close().await();
        }
      }

      int busPort = ((VertxInternal) worker.vertx).clusterManager().getNodeInfo().port();
      try (Socket s = RawHttp.open(busPort, "\0\0\0\u0010hello, any jobs?")) {
        String answer = RawHttp.readToEnd(s);
        assertFalse(answer.contains("python"), answer);
      }
    }
  }
}
