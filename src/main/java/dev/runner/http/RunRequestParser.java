package dev.runner.http;

import dev.runner.jobs.Checker;
import dev.runner.jobs.JobRequest;
import dev.runner.jobs.Limits;
import dev.runner.jobs.TestCase;
import dev.runner.lang.Language;
import dev.runner.lang.Languages;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Turns a `POST /run` body into a {@link JobRequest}, or throws {@link BadRequest} naming the first
 * problem. The bounds are the {@link Limits} policy's (see the README).
 */
final class RunRequestParser {
  /** By id and by alias. */
  private final Map<String, Language> languages;
  private final String supported;
  private final int maxJobSeconds;

  /**
   * {@code languages}: the ones this node runs, by id; {@code maxJobSeconds}: the most a job may
   * take with every test at its time limit.
   */
  RunRequestParser(Map<String, Language> languages, int maxJobSeconds) {
    this.languages = Languages.byNameAndAlias(languages.values());
    this.supported = String.join(", ", languages.keySet().stream().sorted().toList());
    this.maxJobSeconds = maxJobSeconds;
  }

  JobRequest parse(Buffer body) {
    return parse(object(body), body);
  }

  /** A body as a JSON object, or a BadRequest naming why it is not one. */
  static JsonObject object(Buffer body) {
    return object(decode(body));
  }

  /** Whether a body (as a JSON object) is the contest API's run: a token and an input hash, not code. */
  static boolean contestRun(JsonObject req) {
    return (req.containsKey("token") || req.containsKey("input_hash")) && !req.containsKey("code");
  }

  /**
   * Whether a POST /jobs body is a contest job: a run (as {@link #contestRun}), or a compile and run
   * (the contest API's "lang" and "code", and an input hash); the interview's jobs say "language".
   */
  static boolean contestJob(JsonObject req) {
    return contestRun(req) || (req.containsKey("input_hash") && !req.containsKey("language"));
  }

  /** {@code req}: {@code body} decoded (its raw text gives non-string test values as sent). */
  JobRequest parse(JsonObject req, Buffer body) {
    RawTexts raw = new RawTexts(body);
    String language = string(req, "language", true);
    Language lang = languages.get(language);
    if (lang == null) throw new BadRequest("unknown language '" + language + "'; supported: " + supported);
    language = lang.name(); // an alias runs as the language it names
    String code = code(req, "code");
    String entrypoint = string(req, "entrypoint", false);
    if (entrypoint != null && !lang.functionTests()) {
      throw new BadRequest("entrypoint: " + language + " submissions are programs (they read stdin), not functions");
    }
    if (entrypoint != null && !lang.identifier().matcher(entrypoint).matches()) {
      throw new BadRequest("entrypoint '" + entrypoint + "' is not a " + language + " identifier");
    }
    long timeoutMs = Math.round(number(req, "timeout_seconds", Limits.DEFAULT_TIMEOUT_S, Limits.MIN_TIMEOUT_S, Limits.MAX_TIMEOUT_S) * 1000);
    int memoryMb = (int) number(req, "memory_limit_mb", Limits.DEFAULT_MEMORY_MB, Limits.MIN_MEMORY_MB, Limits.MAX_MEMORY_MB);
    if (req.getValue("memory_limit_mb") != null && memoryMb != ((Number) req.getValue("memory_limit_mb")).doubleValue()) {
      throw new BadRequest("memory_limit_mb must be a whole number of megabytes");
    }
    if (memoryMb < lang.minMemoryMb()) {
      throw new BadRequest("memory_limit_mb must be at least " + lang.minMemoryMb() + " for " + language + ", got " + memoryMb);
    }
    List<TestCase> tests = tests(req, raw);
    double worstS = tests.size() * (timeoutMs / 1000.0);
    if (worstS > maxJobSeconds) {
      throw new BadRequest("the job could take up to " + fmt(worstS) + " s (" + tests.size() + (tests.size() == 1 ? " test" : " tests")
          + " × " + fmt(timeoutMs / 1000.0) + " s); at most " + maxJobSeconds + " s is allowed: fewer tests or a lower timeout_seconds");
    }
    return new JobRequest(UUID.randomUUID().toString(), language, code, entrypoint, tests, timeoutMs, memoryMb, checker(req));
  }

  /** A program's source: a string of at most {@link #Limits.MAX_CODE_BYTES}, without NUL. */
  private static String code(JsonObject o, String field) {
    String code = string(o, field.substring(field.lastIndexOf('.') + 1), field, true);
    if (code.getBytes(StandardCharsets.UTF_8).length > Limits.MAX_CODE_BYTES) {
      throw new BadRequest(413, field + " is larger than " + (Limits.MAX_CODE_BYTES >> 20) + " MB");
    }
    if (code.indexOf('\0') >= 0) throw new BadRequest(field + " contains a NUL character");
    return code;
  }

  /** The optional {@code checker}: how outputs are compared (see the README); lines by default. */
  private Checker checker(JsonObject req) {
    Object v = req.getValue("checker");
    if (v == null) return new Checker.Lines();
    if (!(v instanceof JsonObject c)) throw new BadRequest("checker must be an object such as {\"type\": \"tokens\"}, got " + kind(v));
    String type = string(c, "type", "checker.type", true);
    return switch (type) {
      case "lines" -> new Checker.Lines();
      case "exact" -> new Checker.Exact();
      case "tokens" -> {
        Object cs = c.getValue("case_sensitive");
        if (cs != null && !(cs instanceof Boolean)) throw new BadRequest("checker.case_sensitive must be a boolean, got " + kind(cs));
        yield new Checker.Tokens(cs == null || (Boolean) cs);
      }
      case "float" -> new Checker.FloatTokens(number(c, "abs_tol", "checker.abs_tol", 1e-6, 0, 1e9),
          number(c, "rel_tol", "checker.rel_tol", 1e-6, 0, 1e9));
      case "custom" -> {
        String language = string(c, "language", "checker.language", true);
        Language lang = languages.get(language);
        if (lang == null) throw new BadRequest("checker.language: unknown language '" + language + "'; supported: " + supported);
        yield new Checker.Custom(lang.name(), code(c, "checker.code"));
      }
      default -> throw new BadRequest("checker.type must be one of lines, exact, tokens, float, custom; got '" + type + "'");
    };
  }

  /** The raw texts of a body's non-string test values, found only when the first one is asked for. */
  private static final class RawTexts {
    private final Buffer body;
    private Map<String, String> texts;

    RawTexts(Buffer body) {
      this.body = body;
    }

    String get(String path) {
      if (texts == null) texts = RawTestTexts.of(body.getBytes());
      return texts.get(path);
    }
  }

  private static Object decode(Buffer body) {
    if (body == null || body.length() == 0) throw new BadRequest("the request body is empty; send a JSON object");
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body.getBytes()));
    } catch (CharacterCodingException e) {
      throw new BadRequest("the request body is not valid UTF-8");
    }
    try {
      return Json.decodeValue(body);
    } catch (DecodeException e) {
      String why = e.getMessage() == null ? "" : e.getMessage().split("\n")[0];
      throw new BadRequest("the request body is not valid JSON: " + why);
    }
  }

  private static JsonObject object(Object v) {
    if (v instanceof JsonObject o) return o;
    throw new BadRequest("the request body must be a JSON object, got " + kind(v));
  }

  /** The seed's `tests: {visible, hidden}`, or its other spelling `visible_tests` / `hidden_tests`. */
  private static List<TestCase> tests(JsonObject req, RawTexts raw) {
    JsonArray visible, hidden;
    String visibleName = "visible_tests", hiddenName = "hidden_tests";
    if (req.containsKey("tests")) {
      if (!(req.getValue("tests") instanceof JsonObject t)) {
        throw new BadRequest("tests must be an object with 'visible' and 'hidden' arrays, got " + kind(req.getValue("tests")));
      }
      visibleName = "tests.visible";
      hiddenName = "tests.hidden";
      visible = array(t, "visible", visibleName);
      hidden = array(t, "hidden", hiddenName);
    } else {
      visible = array(req, "visible_tests", visibleName);
      hidden = array(req, "hidden_tests", hiddenName);
    }
    int count = visible.size() + hidden.size();
    if (count == 0) throw new BadRequest("tests: at least one visible or hidden test is required");
    if (count > Limits.MAX_TESTS) throw new BadRequest(413, "too many tests: " + count + " (at most " + Limits.MAX_TESTS + ")");
    List<TestCase> tests = new ArrayList<>(count);
    Set<String> ids = new HashSet<>();
    addTests(visible, false, visibleName, tests, ids, raw);
    addTests(hidden, true, hiddenName, tests, ids, raw);
    return tests;
  }

  private static void addTests(JsonArray list, boolean hidden, String where, List<TestCase> into, Set<String> ids, RawTexts raw) {
    for (int i = 0; i < list.size(); i++) {
      String at = where + "[" + i + "]";
      if (!(list.getValue(i) instanceof JsonObject t)) throw new BadRequest(at + " must be an object, got " + kind(list.getValue(i)));
      Object rawId = t.getValue("id");
      String id;
      if (rawId == null) id = (hidden ? "hidden_" : "test_") + (i + 1);
      else if (rawId instanceof String s && !s.isEmpty() && s.length() <= 256) id = s;
      else if (rawId instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) id = String.valueOf(n.longValue());
      else throw new BadRequest(at + ".id must be a non-empty string of at most 256 characters or an integer");
      if (!ids.add(id)) throw new BadRequest(at + ".id '" + id + "' is used by another test");
      into.add(new TestCase(id, hidden, text(t, "input", at, false, raw), text(t, "expected_output", at, true, raw),
          optionalString(t, "description", at)));
    }
  }

  /** A test's input or expected output: a string, or any other JSON value taken as its JSON text as sent. */
  private static String text(JsonObject t, String field, String at, boolean required, RawTexts raw) {
    Object v = t.getValue(field);
    if (v == null) {
      if (required || t.containsKey(field)) throw new BadRequest(at + "." + field + " is required (a string)");
      return "";
    }
    String s = v instanceof String str ? str : raw.get(at + "." + field);
    if (s == null) s = Json.encode(v); // not reached: the raw pass sees every value the decoder did
    if (s.length() > Limits.MAX_TEST_TEXT_BYTES || s.getBytes(StandardCharsets.UTF_8).length > Limits.MAX_TEST_TEXT_BYTES) {
      throw new BadRequest(413, at + "." + field + " is larger than " + (Limits.MAX_TEST_TEXT_BYTES >> 20) + " MB");
    }
    return s;
  }

  private static String optionalString(JsonObject o, String field, String at) {
    Object v = o.getValue(field);
    if (v == null || v instanceof String) return (String) v;
    throw new BadRequest(at + "." + field + " must be a string, got " + kind(v));
  }

  private static JsonArray array(JsonObject o, String field, String name) {
    Object v = o.getValue(field);
    if (v == null) return new JsonArray();
    if (v instanceof JsonArray a) return a;
    throw new BadRequest(name + " must be an array of tests, got " + kind(v));
  }

  private static String string(JsonObject o, String field, boolean required) {
    return string(o, field, field, required);
  }

  /** {@code name}: the field as the error message calls it (its path in the request). */
  private static String string(JsonObject o, String field, String name, boolean required) {
    Object v = o.getValue(field);
    if (v == null) {
      if (required) throw new BadRequest(name + " is required");
      return null;
    }
    if (!(v instanceof String s)) throw new BadRequest(name + " must be a string, got " + kind(v));
    if (required && s.isBlank()) throw new BadRequest(name + " must not be empty");
    return s;
  }

  private static double number(JsonObject o, String field, double fallback, double min, double max) {
    return number(o, field, field, fallback, min, max);
  }

  private static double number(JsonObject o, String field, String name, double fallback, double min, double max) {
    Object v = o.getValue(field);
    if (v == null) return fallback;
    if (!(v instanceof Number n)) throw new BadRequest(name + " must be a number, got " + kind(v));
    double d = n.doubleValue();
    if (!(d >= min && d <= max)) throw new BadRequest(name + " must be between " + fmt(min) + " and " + fmt(max) + ", got " + n);
    return d;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  private static String kind(Object v) {
    if (v == null) return "null";
    if (v instanceof JsonObject) return "an object";
    if (v instanceof JsonArray) return "an array";
    if (v instanceof String) return "a string";
    if (v instanceof Boolean) return "a boolean";
    if (v instanceof Number) return "a number";
    return v.getClass().getSimpleName();
  }
}
