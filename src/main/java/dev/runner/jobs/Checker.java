package dev.runner.jobs;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How a test's output is judged: the request's {@code checker} field; {@link Lines} when it has none.
 * A {@link Comparison} compares it with the expected output here in the service (expected outputs
 * never enter the contestant's sandbox); a {@link Custom} checker is a program of the problem's own,
 * run in a sandbox of its own ({@link CheckerProgram}).
 */
public sealed interface Checker {
  JsonObject toJson();

  /** A built-in comparison of the output with the expected output. */
  sealed interface Comparison extends Checker {
    boolean accepts(String actual, String expected);
  }

  /**
   * A checker program in any language the node runs, called as testlib's checkers are: {@code
   * checker input output answer}; exit 0 accepts, 1 and 2 reject, anything else is a judge error.
   */
  record Custom(String language, String code) implements Checker {
    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", "custom").put("language", language).put("code", code);
    }
  }

  /** Lines equal once trailing whitespace is dropped from each line and from the end. */
  record Lines() implements Comparison {
    @Override
    public boolean accepts(String actual, String expected) {
      return normalize(actual).equals(normalize(expected));
    }

    static String normalize(String text) {
      String[] lines = text.split("\n", -1);
      StringBuilder b = new StringBuilder(text.length());
      for (String line : lines) b.append(line.stripTrailing()).append('\n');
      int end = b.length();
      while (end > 0 && Character.isWhitespace(b.charAt(end - 1))) end--;
      return b.substring(0, end);
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", "lines");
    }
  }

  /** Byte for byte. */
  record Exact() implements Comparison {
    @Override
    public boolean accepts(String actual, String expected) {
      return actual.equals(expected);
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", "exact");
    }
  }

  /** The same whitespace-separated tokens, optionally ignoring case. */
  record Tokens(boolean caseSensitive) implements Comparison {
    @Override
    public boolean accepts(String actual, String expected) {
      String[] a = tokens(actual), e = tokens(expected);
      if (a.length != e.length) return false;
      for (int i = 0; i < a.length; i++) {
        if (!(caseSensitive ? a[i].equals(e[i]) : a[i].toLowerCase(Locale.ROOT).equals(e[i].toLowerCase(Locale.ROOT)))) {
          return false;
        }
      }
      return true;
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", "tokens").put("case_sensitive", caseSensitive);
    }
  }

  /**
   * Tokens, where two decimal numbers are equal when they differ by at most {@code absTol} or by at
   * most {@code relTol} of the expected one; any other token must be equal exactly.
   */
  record FloatTokens(double absTol, double relTol) implements Comparison {
    /** Plain decimal notation only: not Java's "NaN", "Infinity", hex floats or a trailing 'd'. */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    @Override
    public boolean accepts(String actual, String expected) {
      String[] a = tokens(actual), e = tokens(expected);
      if (a.length != e.length) return false;
      for (int i = 0; i < a.length; i++) if (!tokenEquals(a[i], e[i])) return false;
      return true;
    }

    private boolean tokenEquals(String a, String e) {
      if (a.equals(e)) return true;
      if (!NUMBER.matcher(a).matches() || !NUMBER.matcher(e).matches()) return false;
      double x = Double.parseDouble(a), y = Double.parseDouble(e);
      if (!Double.isFinite(x) || !Double.isFinite(y)) return false;
      double diff = Math.abs(x - y);
      return diff <= absTol || diff <= relTol * Math.abs(y);
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("type", "float").put("abs_tol", absTol).put("rel_tol", relTol);
    }
  }

  private static String[] tokens(String text) {
    String t = text.strip();
    return t.isEmpty() ? new String[0] : Arrays.stream(t.split("\\s+")).toArray(String[]::new);
  }

  /** The other side of {@link #toJson()}: what travels on the event bus. */
  static Checker fromJson(JsonObject j) {
    return switch (j.getString("type")) {
      case "lines" -> new Lines();
      case "exact" -> new Exact();
      case "tokens" -> new Tokens(j.getBoolean("case_sensitive"));
      case "float" -> new FloatTokens(j.getDouble("abs_tol"), j.getDouble("rel_tol"));
      case "custom" -> new Custom(j.getString("language"), j.getString("code"));
      default -> throw new IllegalArgumentException("unknown checker " + j.getString("type"));
    };
  }
}
