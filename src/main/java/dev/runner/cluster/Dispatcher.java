package dev.runner.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;

/**
 * Sends a job to the node that should run it: one with a free sandbox for its language (the most
 * free first, this node among equals, then at random), which takes it only if it can start it at
 * once; when none can, the node with the shortest queue, which queues it. A node that does not
 * serve the language, or is draining, never gets it; a language no live node serves fails at once
 * with {@link Unserved}. When the node running a job leaves the cluster, the job is sent again,
 * elsewhere, as a new attempt (at most {@link #MAX_ATTEMPTS}); the answer of an attempt given up
 * is discarded, so a job is answered once.
 */
public final class Dispatcher {
  private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());
  /** A worker that cannot start a job now (and was not asked to queue it) fails it with this code. */
  public static final int BUSY = 429;
  /** A draining worker takes no job, queued or not. */
  public static final int DRAINING = 410;
  /** Header: "yes" when the worker should queue the job rather than refuse it. */
  public static final String QUEUE = "queue";
  /** Header: the attempt's number, from 1. */
  public static final String ATTEMPT = "attempt";
  /** Runs of one job on nodes that left under it before it gets a judge error instead of another run. */
  public static final int MAX_ATTEMPTS = 3;

  /** What a worker takes: interview jobs, contest compiles, contest runs. */
  public enum Kind { RUN, COMPILE, CONTEST }

  /** No live node serves the language (a client's mistake or a cluster without it: a 4xx). */
  public static final class Unserved extends RuntimeException {
    public Unserved(String language, List<String> alsoServing) {
      super("no node of the cluster serves " + language
          + (alsoServing.isEmpty() ? "" : " and " + String.join(", ", alsoServing) + " (its checker's language) together"), null, false, false);
    }
  }

  private final Vertx vertx;
  private final Nodes nodes;
  /** By node: how to fail over each attempt in flight there (senders on several event loops share it). */
  private final Map<String, Set<Runnable>> inFlight = new ConcurrentHashMap<>();

  public Dispatcher(Vertx vertx, Nodes nodes) {
    this.vertx = vertx;
    this.nodes = nodes;
    nodes.onLeft(left -> {
      Set<Runnable> lost = inFlight.remove(left.id());
      if (lost != null) List.copyOf(lost).forEach(Runnable::run);
    });
  }

  /** A worker's address on one node for one kind of job and language. */
  public static String address(String nodeId, Kind kind, String language) {
    return "runner.node." + nodeId + "." + kind.name().toLowerCase() + "." + language;
  }

  /** Whether a live node, not draining, serves {@code language} and each of {@code alsoServing} now. */
  public boolean served(String language, List<String> alsoServing) {
    return nodes.nodes().stream().anyMatch(n -> fits(n, language, alsoServing));
  }

  private static boolean fits(NodeInfo n, String language, List<String> alsoServing) {
    return n.serves(language) && !n.draining() && alsoServing.stream().allMatch(n::serves);
  }

  /**
   * The worker's reply to {@code job}, waiting at most {@code timeoutMs} for each attempt; fails with
   * {@link Unserved}, or with the worker's failure (a {@link ReplyException}).
   */
  public Future<JsonObject> send(Kind kind, String language, JsonObject job, long timeoutMs) {
    return send(kind, language, List.of(), job, timeoutMs, new DeliveryOptions());
  }

  /**
   * {@code alsoServing}: languages the node must serve too (a custom checker's); {@code options}:
   * headers of the sender's own.
   */
  public Future<JsonObject> send(Kind kind, String language, List<String> alsoServing, JsonObject job, long timeoutMs,
                                 DeliveryOptions options) {
    Send send = new Send(kind, language, alsoServing, job, timeoutMs, options);
    send.attempt(1);
    return send.answer.future();
  }

  /**
   * One job's sending, over its attempts, all on the sender's context: requests go from it, their
   * replies come back on it, and a failover (told on the registry's context) is moved onto it, so the
   * answer completes where the sender, which may touch its own state in its handlers, runs.
   */
  private final class Send {
    final Context context = vertx.getOrCreateContext();
    final Kind kind;
    final String language;
    final List<String> alsoServing;
    final JsonObject job;
    final long timeoutMs;
    final DeliveryOptions options;
    final Promise<JsonObject> answer = Promise.promise();

    Send(Kind kind, String language, List<String> alsoServing, JsonObject job, long timeoutMs, DeliveryOptions options) {
      this.kind = kind;
      this.language = language;
      this.alsoServing = alsoServing;
      this.job = job;
      this.timeoutMs = timeoutMs;
      this.options = options;
    }

    void attempt(int attempt) {
      List<NodeInfo> serving = nodes.nodes().stream().filter(n -> fits(n, language, alsoServing)).toList();
      if (serving.isEmpty()) {
        answer.fail(new Unserved(language, alsoServing));
        return;
      }
      String self = nodes.selfId();
      List<NodeInfo> free = new ArrayList<>(serving.stream().filter(n -> n.freeFor(language) > 0).toList());
      Collections.shuffle(free, ThreadLocalRandom.current());
      free.sort(Comparator.<NodeInfo>comparingInt(n -> -n.freeFor(language)).thenComparing(n -> !n.id().equals(self)));
      NodeInfo shortest = serving.stream()
          .min(Comparator.<NodeInfo>comparingInt(NodeInfo::queued).thenComparing(n -> !n.id().equals(self))).orElseThrow();
      offer(attempt, free.iterator(), shortest);
    }

    /** Offers the job to each free node in turn; the first that can start it takes it, else the shortest queue does. */
    void offer(int attempt, Iterator<NodeInfo> free, NodeInfo shortest) {
      boolean queue = !free.hasNext();
      NodeInfo target = queue ? shortest : free.next();
      Promise<JsonObject> reply = Promise.promise();
      // Its node's leaving, noticed by Hazelcast, gives the attempt up: the job is sent again.
      Runnable failOver = () -> context.runOnContext(v -> reply.tryFail(new NodeLost(target.id())));
      inFlight.computeIfAbsent(target.id(), id -> ConcurrentHashMap.newKeySet()).add(failOver);
      DeliveryOptions delivery = new DeliveryOptions(options).setSendTimeout(timeoutMs)
          .addHeader(QUEUE, queue ? "yes" : "no").addHeader(ATTEMPT, String.valueOf(attempt));
      vertx.eventBus().<JsonObject>request(address(target.id(), kind, language), job, delivery)
          .map(Message::body).onComplete(reply::tryComplete, reply::tryFail);
      reply.future().onComplete(ar -> {
        Set<Runnable> there = inFlight.get(target.id());
        if (there != null) there.remove(failOver); // an empty set stays: a node has one, its last jobs' failover lists
        if (ar.succeeded()) {
          answer.tryComplete(ar.result());
          return;
        }
        Throwable err = ar.cause();
        if (err instanceof ReplyException re && (refused(re) || re.failureType() == ReplyFailure.NO_HANDLERS)) {
          // It could not start it now, is draining, or is gone: the next one, or the shortest queue.
          if (!queue) offer(attempt, free, shortest);
          else retry(attempt, err);
        } else if (err instanceof NodeLost) {
          LOG.warning("node " + target.id() + " left the cluster under a " + language + " job (attempt " + attempt + ")");
          retry(attempt, err);
        } else {
          answer.tryFail(err);
        }
      });
    }

    void retry(int attempt, Throwable why) {
      if (attempt >= MAX_ATTEMPTS) {
        // Lost with its node each time: the runner's fault (JE). Else no node would take it: the last refusal.
        answer.tryFail(why instanceof NodeLost ? new ReplyException(ReplyFailure.RECIPIENT_FAILURE, JUDGE_ERROR,
            "the job was lost with its node " + attempt + " times: " + why.getMessage())
            : why instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS
            ? new ReplyException(ReplyFailure.NO_HANDLERS, "no node runs " + language + " right now") : why);
        return;
      }
      attempt(attempt + 1);
    }
  }

  /** The same code a worker fails a job with when its sandbox broke twice: the contest API's JE. */
  public static final int JUDGE_ERROR = 500;

  private static boolean refused(ReplyException re) {
    return failedWith(re, BUSY) || failedWith(re, DRAINING);
  }

  /** Whether {@code err} is a worker's failure of a job with {@code code} (BUSY, JUDGE_ERROR, ...). */
  public static boolean failedWith(Throwable err, int code) {
    return err instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE && re.failureCode() == code;
  }

  /** The node running an attempt left the cluster. */
  static final class NodeLost extends RuntimeException {
    NodeLost(String node) {
      super("node " + node + " left the cluster", null, false, false);
    }
  }
}
