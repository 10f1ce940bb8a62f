package dev.runner.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CheckerTest {
  private final Checker.Comparison lines = new Checker.Lines();

  @Test
  void linesIgnoreTrailingWhitespaceOnLinesAndAtTheEnd() {
    assertTrue(lines.accepts("1 2  \n3\t\r\n\n\n", "1 2\n3"));
    assertTrue(lines.accepts("", "\n  \n"));
    assertTrue(lines.accepts("120\n", "120"));
  }

  @Test
  void linesCountEverythingElse() {
    assertFalse(lines.accepts(" 120", "120"));
    assertFalse(lines.accepts("1\n\n2", "1\n2"));
    assertFalse(lines.accepts("1 2", "1  2"));
    assertFalse(lines.accepts("12", "120"));
    assertFalse(lines.accepts("", "0"));
  }

  @Test
  void exactIsByteForByte() {
    Checker.Comparison exact = new Checker.Exact();
    assertTrue(exact.accepts("1 2\n", "1 2\n"));
    assertFalse(exact.accepts("1 2\n", "1 2"));
    assertFalse(exact.accepts("1 2 \n", "1 2\n"));
  }

  @Test
  void tokensIgnoreHowWhitespaceSeparatesThem() {
    Checker.Comparison tokens = new Checker.Tokens(true);
    assertTrue(tokens.accepts("  1\t2\n\n3 ", "1 2 3"));
    assertTrue(tokens.accepts("", " \n"));
    assertFalse(tokens.accepts("1 2", "1 2 3"));
    assertFalse(tokens.accepts("YES", "yes"));
    assertTrue(new Checker.Tokens(false).accepts("YES\nNo", "yes no"));
  }

  @Test
  void floatsAreEqualWithinEitherTolerance() {
    Checker.Comparison f = new Checker.FloatTokens(1e-6, 1e-6);
    assertTrue(f.accepts("3.1415927", "3.14159265"));
    assertTrue(f.accepts("1000000.5", "1000000.0")); // relative: 0.5 <= 1e-6 * 1e6
    assertFalse(f.accepts("3.15", "3.14159265"));
    assertTrue(f.accepts("case 1: 0.3333333", "case 1: 0.33333333")); // words exactly, numbers within
    assertFalse(f.accepts("Case 1: 0.3333333", "case 1: 0.33333333"));
    assertTrue(f.accepts("1e-7", "0"));
    assertFalse(f.accepts("NaN", "0"));
    assertFalse(f.accepts("Infinity", "1e308"));
    assertFalse(f.accepts("0x10", "16"));
    assertTrue(new Checker.FloatTokens(0.5, 0).accepts("2.4", "2"));
  }

  @Test
  void everyCheckerTravelsAsJson() {
    for (Checker c : List.of(new Checker.Lines(), new Checker.Exact(), new Checker.Tokens(false), new Checker.FloatTokens(1e-4, 0))) {
      assertEquals(c, io.vertx.core.json.JsonObject.mapFrom(c).mapTo(Checker.class));
    }
  }
}
