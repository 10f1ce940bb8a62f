package dev.runner.contest;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The contest judge's API of seed 003 (see the README's "Contest API"), as the HTTP routes and the
 * grader poller both use it: each call takes the request's JSON body and gives the HTTP status and
 * JSON body of the answer (a 4xx for a wrong request, naming the problem). The futures never fail
 * for a request's fault; they fail only when the node cannot answer at all.
 */
public interface ContestService {
  /** An answer: the HTTP status and the JSON body. */
  record Reply(int status, JsonObject body) {}

  /** POST /compile/ {"lang", "code": {file: text}} → 200 {"token", "compile_time_ms", "cached"} or 422 {"error", ...}. */
  Future<Reply> compile(JsonObject request);

  /** POST /input/ {"hash", "cases": [{"name", "input"}]} → 201 stored, 200 already stored alike, 409 other content. */
  Future<Reply> storeInput(JsonObject request);

  /** GET /input/{hash} → 200 {"hash", "cases": [names], "bytes"} or 404. */
  Future<Reply> describeInput(String hash);

  /**
   * POST /run/ {"token", "input_hash", "time_limit_ms", "memory_limit_kb", "output_limit_kb", ...} →
   * 200 {"results": [...]} or 404 {"error", "missing": "token"|"input"}.
   */
  Future<Reply> run(JsonObject request);

  /**
   * How an asynchronous job (POST /jobs) follows its contest work: the job's id (which its
   * cancellation names), where the worker sends each case's result as it is judged, what is told
   * of the compile of a compile and run (its 200 body) before the run starts, and whether the job
   * was cancelled meanwhile (then the run is not started: 499).
   */
  record Tracking(String jobId, String progressAddress, java.util.function.Consumer<JsonObject> compiled,
                  java.util.function.BooleanSupplier cancelled) {
    public static final Tracking NONE = new Tracking(null, null, c -> {}, () -> false);

    String idOr(String fresh) {
      return jobId != null ? jobId : fresh;
    }
  }

  /** Null when {@code request} is a contest job POST /jobs takes (a run, or "lang" and "code" to compile and then run); else its 4xx. */
  Reply invalidJob(JsonObject request);

  /** A contest job: a run, or a compile then a run of its token; the answer is the run's (or the failed compile's). */
  Future<Reply> job(JsonObject request, Tracking tracking);
}
