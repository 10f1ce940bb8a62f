package dev.runner.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.BooleanSupplier;

/** A node's drain: its parts wait, each on its own event loop, until their jobs have ended. */
public final class Drain {
  private Drain() {}

  /** Completes once {@code ended} holds (checked every 50 ms on the caller's context), or after {@code timeoutMs}. */
  public static Future<Void> until(Vertx vertx, BooleanSupplier ended, long timeoutMs) {
    Promise<Void> drained = Promise.promise();
    long until = System.currentTimeMillis() + timeoutMs;
    vertx.setPeriodic(0, 50, t -> {
      if (ended.getAsBoolean() || System.currentTimeMillis() >= until) {
        vertx.cancelTimer(t);
        drained.tryComplete();
      }
    });
    return drained.future();
  }
}
