package dev.runner.sandbox;

import dev.runner.config.RunnerConfig.PoolSettings;
import dev.runner.podman.PodmanClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps {@code size} started sandboxes of one image, so a job never waits for a container start.
 * A job leases one; on return the supervisor resets it (every process killed, /work, /tmp and
 * /dev/shm wiped) and it goes back to the pool, unless the reset failed, the job broke it, or it
 * reached its job count or age: then it is removed and a fresh one is started in the background.
 * When Podman fails, launches are retried with a growing pause, so the pool heals by itself.
 * Not thread-safe: use it from the verticle that created it.
 */
public final class SandboxPool {
  private static final Logger LOG = Logger.getLogger(SandboxPool.class.getName());
  private final Vertx vertx;
  private final PodmanClient podman;
  private final NetClient net;
  private final String image;
  private final Path stateDir;
  private final String label;
  private final PoolSettings settings;
  private final long defaultMemory;
  private final Deque<Slot> idle = new ArrayDeque<>();
  private final Deque<Waiter> waiters = new ArrayDeque<>();
  /** Every sandbox of this pool, idle or leased, and the launches under way: what close() removes. */
  private final Set<Slot> all = new HashSet<>();
  private final Set<Future<Sandbox>> launching = new HashSet<>();
  private final Set<Future<Void>> removing = new HashSet<>();
  private int live;
  private long retryDelayMs;
  private boolean closed;

  private static final class Slot {
    final Sandbox sandbox;
    final long createdAt;
    long memoryBytes;
    int jobs;
    boolean retired;

    Slot(Sandbox sandbox, long memoryBytes, long createdAt) {
      this.sandbox = sandbox;
      this.memoryBytes = memoryBytes;
      this.createdAt = createdAt;
    }
  }

  private record Waiter(long memoryBytes, Promise<Lease> promise, long timer) {}

  /** A sandbox lent to one job; give it back exactly once. */
  public final class Lease {
    private final Slot slot;

    private Lease(Slot slot) {
      this.slot = slot;
    }

    public Sandbox sandbox() {
      return slot.sandbox;
    }

    /** Resets and returns the sandbox, or retires it when {@code healthy} is false or the reset fails. */
    public Future<Void> release(boolean healthy) {
      slot.jobs++;
      boolean worn = slot.jobs >= settings.maxJobs()
          || System.currentTimeMillis() - slot.createdAt >= settings.maxAge().toMillis();
      if (!healthy || worn || closed) return retire(slot);
      return slot.sandbox.supervisor().reset()
          .onSuccess(v -> offer(slot))
          .recover(err -> {
            LOG.warning("reset of " + slot.sandbox.id() + " failed, replacing it: " + err.getMessage());
            return retire(slot);
          });
    }
  }

  public SandboxPool(Vertx vertx, PodmanClient podman, NetClient net, String image, Path stateDir, String label,
                     PoolSettings settings, long defaultMemory) {
    this.vertx = vertx;
    this.podman = podman;
    this.net = net;
    this.image = image;
    this.stateDir = stateDir;
    this.label = label;
    this.settings = settings;
    this.defaultMemory = defaultMemory;
  }

  /** Starts filling the pool; does not wait for it to be full. */
  public void start() {
    fill();
  }

  /**
   * A sandbox whose memory limit is {@code memoryBytes}, once one is free; fails with
   * {@link NoSandboxException} if none is within the pool's acquire timeout.
   */
  public Future<Lease> acquire(long memoryBytes) {
    if (closed) return Future.failedFuture(new NoSandboxException("the node is shutting down"));
    Slot slot = takeIdle(memoryBytes);
    if (slot != null) return fit(slot, memoryBytes);
    Promise<Lease> promise = Promise.promise();
    long timeout = settings.acquireTimeout().toMillis();
    Waiter[] self = new Waiter[1];
    long timer = vertx.setTimer(timeout, t -> {
      if (waiters.remove(self[0])) {
        promise.tryFail(new NoSandboxException("no sandbox became free within " + timeout / 1000 + " s"));
      }
    });
    self[0] = new Waiter(memoryBytes, promise, timer);
    waiters.add(self[0]);
    return promise.future();
  }

  /** Prefers an idle sandbox that already has the wanted memory limit, to skip the update. */
  private Slot takeIdle(long memoryBytes) {
    for (Iterator<Slot> it = idle.iterator(); it.hasNext(); ) {
      Slot s = it.next();
      if (s.memoryBytes == memoryBytes) {
        it.remove();
        return s;
      }
    }
    return idle.pollFirst();
  }

  private Future<Lease> fit(Slot slot, long memoryBytes) {
    if (slot.memoryBytes == memoryBytes) return Future.succeededFuture(new Lease(slot));
    return podman.updateMemory(slot.sandbox.id(), memoryBytes)
        .map(v -> {
          slot.memoryBytes = memoryBytes;
          return new Lease(slot);
        })
        .recover(err -> {
          LOG.warning("memory update of " + slot.sandbox.id() + " failed, replacing it: " + err.getMessage());
          retire(slot);
          return acquire(memoryBytes);
        });
  }

  private void offer(Slot slot) {
    Waiter w = waiters.poll();
    if (w == null) {
      idle.add(slot);
      return;
    }
    vertx.cancelTimer(w.timer());
    fit(slot, w.memoryBytes()).onComplete(w.promise());
  }

  private Future<Void> retire(Slot slot) {
    if (slot.retired) return Future.succeededFuture();
    slot.retired = true;
    all.remove(slot);
    live--;
    Future<Void> removed = slot.sandbox.destroy()
        .onFailure(err -> LOG.log(Level.WARNING, "removing " + slot.sandbox.id() + " failed", err))
        .otherwiseEmpty();
    removing.add(removed);
    removed.onComplete(x -> removing.remove(removed));
    fill();
    return removed;
  }

  private void fill() {
    while (!closed && live < settings.size()) {
      live++;
      Future<Sandbox> launch = Sandbox.launch(vertx, podman, net, image, stateDir, defaultMemory, label);
      launching.add(launch);
      launch.onComplete(ar -> launching.remove(launch))
          .onSuccess(sb -> {
            retryDelayMs = 0;
            Slot slot = new Slot(sb, defaultMemory, System.currentTimeMillis());
            all.add(slot);
            if (!closed) offer(slot); // when closing, close() removes it
          })
          .onFailure(err -> {
            live--;
            retryDelayMs = Math.min(Math.max(retryDelayMs * 2, 500), 10_000);
            LOG.warning("starting a sandbox of " + image + " failed, retrying in " + retryDelayMs + " ms: " + err.getMessage());
            vertx.setTimer(retryDelayMs, t -> fill());
          });
    }
  }

  /** Removes every sandbox of this pool, leased ones too (their jobs fail), once launches under way end. */
  public Future<Void> close() {
    closed = true;
    Waiter w;
    while ((w = waiters.poll()) != null) {
      vertx.cancelTimer(w.timer());
      w.promise().tryFail(new NoSandboxException("the node is shutting down"));
    }
    return Future.join(List.copyOf(launching)).transform(x -> {
      idle.clear();
      List.copyOf(all).forEach(this::retire);
      return Future.join(List.copyOf(removing)); // these, and removals begun before the close
    }).mapEmpty();
  }
}
