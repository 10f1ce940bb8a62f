package dev.runner.jobs;

import dev.runner.sandbox.JobCancelledException;
import dev.runner.sandbox.NoSandboxException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * The node-wide bound on jobs running at once across languages (the seed's max_concurrent_jobs): a
 * job takes a slot before it leases a sandbox and gives it back when it ends. Waiters are served in
 * arrival order; one that waits longer than the acquire timeout, or is cancelled, leaves the line.
 * Used on the worker's event loop only.
 */
final class JobSlots {
  private final Vertx vertx;
  private final int size;
  private final long timeoutMs;
  private final Queue<Promise<Runnable>> waiting = new ArrayDeque<>();
  private int taken;

  JobSlots(Vertx vertx, int size, long timeoutMs) {
    this.vertx = vertx;
    this.size = size;
    this.timeoutMs = timeoutMs;
  }

  /** A slot: the returned action gives it back (once). */
  Future<Runnable> take(Future<Void> cancelled) {
    if (taken < size && waiting.isEmpty()) {
      taken++;
      return Future.succeededFuture(releaser());
    }
    Promise<Runnable> p = Promise.promise();
    waiting.add(p);
    long timer = vertx.setTimer(timeoutMs, t -> {
      if (waiting.remove(p)) p.tryFail(new NoSandboxException("the node ran " + size + " jobs at once for " + timeoutMs / 1000 + " s"));
    });
    cancelled.onComplete(v -> {
      if (waiting.remove(p)) p.tryFail(new JobCancelledException());
    });
    return p.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  int waitingCount() {
    return waiting.size();
  }

  /** Slots a job could take now without waiting. */
  int free() {
    return waiting.isEmpty() ? size - taken : 0;
  }

  private Runnable releaser() {
    boolean[] given = {false};
    return () -> {
      if (given[0]) return;
      given[0] = true;
      Promise<Runnable> next = waiting.poll();
      if (next != null) next.complete(releaser()); // the slot passes on: taken stays
      else taken--;
    };
  }
}
