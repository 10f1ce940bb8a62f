package dev.runner.sandbox;

import dev.runner.config.RunnerConfig.PoolSettings;
import dev.runner.podman.PodmanClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
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
 * A sandbox whose supervisor connection closed is never lent again (an idle one is retired by the
 * close listener, a returning one by {@code offer}); idle ones are pinged every
 * {@link #HEALTH_CHECK_MS}.
 * Not thread-safe: use it from the verticle that created it.
 */
public final class SandboxPool {
  private static final Logger LOG = Logger.getLogger(SandboxPool.class.getName());
  static final long HEALTH_CHECK_MS = 10_000;
  private final Vertx vertx;
  private final PodmanClient podman;
  private final NetClient net;
  private final SandboxTemplate template;
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
  private long healthTimer = -1;
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

  private record Waiter(long memoryBytes, Promise<Lease> promise) {}

  /** A sandbox lent to one job; give it back once (later calls do nothing). */
  public final class Lease {
    private final Slot slot;
    private Future<Void> released;

    private Lease(Slot slot) {
      this.slot = slot;
    }

    public Sandbox sandbox() {
      return slot.sandbox;
    }

    /** Changes the sandbox's memory limit while it is lent (a compile needs more than the program). */
    public Future<Void> resize(long memoryBytes) {
      // Once given back, the slot is another job's: a late resize must not change its limit.
      if (released != null || slot.retired) return Future.failedFuture(new SandboxFailure("the sandbox was given back"));
      if (slot.memoryBytes == memoryBytes) return Future.succeededFuture();
      return podman.updateMemory(slot.sandbox.id(), memoryBytes).onSuccess(v -> slot.memoryBytes = memoryBytes);
    }

    /** Resets and returns the sandbox, or retires it when {@code healthy} is false or the reset fails. */
    public Future<Void> release(boolean healthy) {
      if (released == null) released = giveBack(healthy);
      return released;
    }

    private Future<Void> giveBack(boolean healthy) {
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

  public SandboxPool(Vertx vertx, PodmanClient podman, NetClient net, SandboxTemplate template,
                     PoolSettings settings, long defaultMemory) {
    this.vertx = vertx;
    this.podman = podman;
    this.net = net;
    this.template = template;
    this.settings = settings;
    this.defaultMemory = defaultMemory;
  }

  /** Starts filling the pool; does not wait for it to be full. */
  public void start() {
    fill();
    healthTimer = vertx.setPeriodic(HEALTH_CHECK_MS, t -> checkIdle());
  }

  /** Pings the idle sandboxes; one that does not answer is retired (and replaced). */
  private void checkIdle() {
    for (Slot slot : List.copyOf(idle)) {
      slot.sandbox.supervisor().ping().onFailure(err -> {
        LOG.warning("idle sandbox " + slot.sandbox.id() + " failed its health check, replacing it: " + err.getMessage());
        if (idle.remove(slot)) retire(slot);
      });
    }
  }

  /**
   * A sandbox whose memory limit is {@code memoryBytes}, once one is free; fails with
   * {@link NoSandboxException} if none is within the pool's acquire timeout, and with
   * {@link JobCancelledException} when {@code cancelled} completes first.
   */
  public Future<Lease> acquire(long memoryBytes, Future<Void> cancelled) {
    if (closed) return Future.failedFuture(new NoSandboxException("the node is shutting down"));
    if (cancelled.isComplete()) return Future.failedFuture(new JobCancelledException());
    Slot slot = takeIdle(memoryBytes);
    Waiter waiter = newWaiter(memoryBytes, cancelled);
    if (slot == null) waiters.add(waiter);
    else lend(slot, waiter);
    return waiter.promise().future();
  }

  /** A job waiting for a sandbox; its timeout and cancellation fail it wherever it is. */
  private Waiter newWaiter(long memoryBytes, Future<Void> cancelled) {
    Promise<Lease> promise = Promise.promise();
    long timeout = settings.acquireTimeout().toMillis();
    long timer = vertx.setTimer(timeout, t ->
        promise.tryFail(new NoSandboxException("no sandbox became free within " + timeout / 1000 + " s")));
    Waiter w = new Waiter(memoryBytes, promise);
    cancelled.onComplete(v -> promise.tryFail(new JobCancelledException()));
    promise.future().onComplete(ar -> {
      vertx.cancelTimer(timer);
      waiters.remove(w);
    });
    return w;
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

  /**
   * Sets the slot's memory limit and lends it to the waiter. When the update fails the slot is
   * retired and the waiter tries another idle sandbox, or keeps its place at the head of the line; a
   * waiter that gave up meanwhile hands the sandbox back.
   */
  private void lend(Slot slot, Waiter w) {
    Future<Void> fitted = slot.memoryBytes == w.memoryBytes() ? Future.succeededFuture()
        : podman.updateMemory(slot.sandbox.id(), w.memoryBytes()).onSuccess(v -> slot.memoryBytes = w.memoryBytes());
    fitted.onSuccess(v -> {
      Lease lease = new Lease(slot);
      if (!w.promise().tryComplete(lease)) lease.release(true);
    }).onFailure(err -> {
      LOG.warning("memory update of " + slot.sandbox.id() + " failed, replacing it: " + err.getMessage());
      retire(slot);
      if (w.promise().future().isComplete()) return;
      Slot other = closed ? null : takeIdle(w.memoryBytes());
      if (other != null) lend(other, w);
      else waiters.addFirst(w);
    });
  }

  private void offer(Slot slot) {
    if (slot.sandbox.supervisor().isClosed()) {
      retire(slot);
      return;
    }
    Waiter w = waiters.poll();
    if (w == null) idle.add(slot);
    else lend(slot, w);
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
      Future<Sandbox> launch = Sandbox.launch(vertx, podman, net, template, defaultMemory);
      launching.add(launch);
      launch.onComplete(ar -> launching.remove(launch))
          .onSuccess(sb -> {
            retryDelayMs = 0;
            Slot slot = new Slot(sb, defaultMemory, System.currentTimeMillis());
            all.add(slot);
            sb.supervisor().closed().onComplete(v -> {
              if (idle.remove(slot)) retire(slot); // a leased one is retired when its job gives it back
            });
            if (!closed) offer(slot); // when closing, close() removes it
          })
          .onFailure(err -> {
            live--;
            retryDelayMs = Math.min(Math.max(retryDelayMs * 2, 500), 10_000);
            LOG.warning("starting a sandbox of " + template.image() + " failed, retrying in " + retryDelayMs + " ms: " + err.getMessage());
            vertx.setTimer(retryDelayMs, t -> fill());
          });
    }
  }

  /** Started sandboxes free to lend now (for the metrics; from the pool's verticle, like the rest). */
  public int idleCount() {
    return idle.size();
  }

  /** Started sandboxes not idle: lent to a job, or being reset or refitted for one. */
  public int leasedCount() {
    return all.size() - idle.size();
  }

  /** Whether its last launch failed (Podman down, the image gone): it retries with a growing pause. */
  public boolean launchesFailing() {
    return retryDelayMs > 0;
  }

  /** Jobs waiting for a sandbox. */
  public int waitingCount() {
    return waiters.size();
  }

  /** Removes every sandbox of this pool, leased ones too (their jobs fail), once launches under way end. */
  public Future<Void> close() {
    closed = true;
    if (healthTimer >= 0) vertx.cancelTimer(healthTimer);
    for (Waiter w : List.copyOf(waiters)) w.promise().tryFail(new NoSandboxException("the node is shutting down"));
    return Future.join(List.copyOf(launching)).transform(x -> {
      idle.clear();
      List.copyOf(all).forEach(this::retire);
      return Future.join(List.copyOf(removing)); // these, and removals begun before the close
    }).mapEmpty();
  }
}
