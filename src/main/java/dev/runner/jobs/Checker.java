package dev.runner.jobs;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How a test's output is judged: the request's {@code checker} field; {@link Lines} when it has none.
 * A {@link Comparison} compares it with the expected output here in the service (expected outputs
 * never enter the contestant's sandbox); a {@link Custom} checker is a program of the problem's own,
 * run in a sandbox of its own ({@link CheckerProgram}).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({@JsonSubTypes.Type(value = Checker.Lines.class, name = "lines"), @JsonSubTypes.Type(value = Checker.Exact.class, name = "exact"),
    @JsonSubTypes.Type(value = Checker.Tokens.class, name = "tokens"), @JsonSubTypes.Type(value = Checker.FloatTokens.class, name = "float"),
    @JsonSubTypes.Type(value = Checker.Custom.class, name = "custom")})
public sealed interface Checker {
  /** A built-in comparison of the output with the expected output. */
  sealed interface Comparison extends Checker {
    boolean accepts(String actual, String expected);
  }

  /**
   * A checker program in any language the node runs, called as testlib's checkers are: {@code
   * checker input output answer}; exit 0 accepts, 1 and 2 reject, anything else is a judge error.
   */
  record Custom(String language, String code) implements Checker {}

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
  }

  /** Byte for byte. */
  record Exact() implements Comparison {
    @Override
    public boolean accepts(String actual, String expected) {
      return actual.equals(expected);
    }
  }

  /** The same whitespace-separated tokens, optionally ignoring case. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
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
  }

  /**
   * Tokens, where two decimal numbers are equal when they differ by at most {@code absTol} or by at
   * most {@code relTol} of the expected one; any other token must be equal exactly.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
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
  }

  private static String[] tokens(String text) {
    String t = text.strip();
    return t.isEmpty() ? new String[0] : Arrays.stream(t.split("\\s+")).toArray(String[]::new);
  }
}
