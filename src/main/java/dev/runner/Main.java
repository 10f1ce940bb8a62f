package dev.runner;

import dev.runner.cluster.Cluster;
import dev.runner.config.RunnerConfig;
import dev.runner.http.HttpVerticle;
import dev.runner.jobs.WorkerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.logging.Logger;

/** Starts one node: the clustered Vert.x, a worker verticle (the sandboxes) and the HTTP verticle. */
public final class Main {
  private static final Logger LOG = Logger.getLogger(Main.class.getName());

  private Main() {}

  public static void main(String[] args) {
    RunnerConfig config;
    try {
      config = RunnerConfig.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("runner: " + e.getMessage());
      System.exit(2);
      return;
    }
    start(config).onSuccess(node -> {
      LOG.info("runner node listening on " + config.httpHost() + ":" + config.httpPort() + " with " + config.images().keySet());
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          node.close().await();
        } catch (Exception ignored) {
          // exiting anyway
        }
      }));
    }).onFailure(err -> {
      System.err.println("runner: the node did not start: " + err.getMessage());
      System.exit(1);
    });
  }

  /** Starts a node; closing the returned Vertx stops it and removes its sandboxes. */
  public static Future<Vertx> start(RunnerConfig config) {
    Promise<Vertx> started = Promise.promise(); // not tied to the node's context, which a failed start closes
    Cluster.start(config).onComplete(cluster -> {
      if (cluster.failed()) {
        started.fail(cluster.cause());
        return;
      }
      Vertx vertx = cluster.result();
      vertx.deployVerticle(new WorkerVerticle(config))
          .compose(id -> vertx.deployVerticle(new HttpVerticle(config)))
          .onSuccess(id -> started.complete(vertx))
          .onFailure(err -> {
            LOG.severe("the node did not start: " + err);
            vertx.close().onComplete(x -> started.fail(err));
          });
    });
    return started.future();
  }
}
