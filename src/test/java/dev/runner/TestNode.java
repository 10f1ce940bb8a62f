package dev.runner;

import dev.runner.config.RunnerConfig;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

/** A real node started for a test, with a client of its HTTP API; closing it checks it left no container. */
public final class TestNode implements AutoCloseable {
  public final RunnerConfig config;
  public final Vertx vertx;
  public final WebClient client;

  private TestNode(RunnerConfig config, Vertx vertx) {
    this.config = config;
    this.vertx = vertx;
    this.client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(config.httpPort()));
  }

  public static TestNode start(RunnerConfig config) {
    return new TestNode(config, Main.start(config).await());
  }

  @Override
  public void close() {
    vertx.close().await();
    TestEnvironment.assertNoSandboxesLeft(config);
  }
}
