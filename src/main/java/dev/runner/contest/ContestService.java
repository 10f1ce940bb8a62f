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
}
