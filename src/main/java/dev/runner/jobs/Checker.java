package dev.runner.jobs;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How a test's output is compared with its expected output, in the service (expected outputs never
 * enter a sandbox). The request's {@code checker} field; {@link Lines} when it has none.
 */
public sealed interface Checker {
  boolean accepts(String actual, String expected);

  JsonObject toJson();

  /** Lines equal once trailing whitespace is dropped from each line and from the end. */
  record Lines() implements Checker {
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
  record Exact() implements Checker {
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
  record Tokens(boolean caseSensitive) implements Checker {
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
  record FloatTokens(double absTol, double relTol) implements Checker {
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
      default -> throw new IllegalArgumentException("unknown checker " + j.getString("type"));
    };
  }
}
