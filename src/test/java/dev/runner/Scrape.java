package dev.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of GET /metrics, in Prometheus's text format. */
public record Scrape(String text) {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  public static Scrape of(TestNode node) {
    HttpResponse<Buffer> r = node.client.get("/metrics").send().await();
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertTrue(r.getHeader("content-type").startsWith("text/plain"), r.getHeader("content-type"));
    return new Scrape(r.bodyAsString());
  }

  /** The value of the sample of this name whose labels include these (name, value) pairs, or null. */
  public Double find(String name, String... labels) {
    for (String line : text.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches() || !m.group(1).equals(name)) continue;
      Map<String, String> have = new HashMap<>();
      Matcher l = LABEL.matcher(m.group(2) == null ? "" : m.group(2));
      while (l.find()) have.put(l.group(1), l.group(2));
      boolean all = true;
      for (int i = 0; i < labels.length; i += 2) all &= labels[i + 1].equals(have.get(labels[i]));
      if (all) return Double.parseDouble(m.group(3));
    }
    return null;
  }

  public double value(String name, String... labels) {
    Double v = find(name, labels);
    assertNotNull(v, name + " " + String.join(",", labels) + " is not in\n" + text);
    return v;
  }

  /** How much a sample grew since {@code before} (absent there: from 0). */
  public long delta(Scrape before, String name, String... labels) {
    Double was = before.find(name, labels);
    return Math.round(value(name, labels) - (was == null ? 0 : was));
  }
}
