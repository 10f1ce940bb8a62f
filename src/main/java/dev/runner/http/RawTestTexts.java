package dev.runner.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The exact text, as sent, of every test input and expected output in a body that is not a string
 * (a number, boolean, array or object), keyed by its path as the parser names it
 * (`tests.visible[0].input`, `hidden_tests[2].expected_output`). Decoding into a JsonObject would turn
 * `1e999` into `Infinity` and `1e2` into `100.0`, and drop the spaces of `[1, 2]`; a program that
 * reads its input must see what the client wrote. A later duplicate key wins, as in JsonObject.
 */
final class RawTestTexts {
  // As permissive as the decoder that already accepted this body, so this pass never refuses it.
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE)
          .maxNumberLength(Integer.MAX_VALUE).maxNestingDepth(Integer.MAX_VALUE).build())
      .build();

  private RawTestTexts() {}

  /** {@code body}: valid UTF-8 JSON (the parser has decoded it already). */
  static Map<String, String> of(byte[] body) {
    Map<String, String> texts = new HashMap<>();
    try (JsonParser p = FACTORY.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return texts;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (name.equals("tests") && value == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String list = p.currentName();
            if (p.nextToken() == JsonToken.START_ARRAY && (list.equals("visible") || list.equals("hidden"))) {
              tests(p, body, "tests." + list, texts);
            } else {
              p.skipChildren();
            }
          }
        } else if (value == JsonToken.START_ARRAY && (name.equals("visible_tests") || name.equals("hidden_tests"))) {
          tests(p, body, name, texts);
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException e) {
      throw new BadRequest("the request body is not valid JSON: " + String.valueOf(e.getMessage()).split("\n")[0]);
    }
    return texts;
  }

  /** The tests of one array; the parser is on its START_ARRAY and is left on its END_ARRAY. */
  private static void tests(JsonParser p, byte[] body, String where, Map<String, String> texts) throws IOException {
    for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        p.skipChildren();
        continue;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if ((field.equals("input") || field.equals("expected_output")) && value != JsonToken.VALUE_STRING
            && value != JsonToken.VALUE_NULL) {
          int start = (int) p.currentTokenLocation().getByteOffset();
          p.skipChildren();
          int end = (int) p.currentLocation().getByteOffset();
          texts.put(where + "[" + i + "]." + field, text(body, start, end));
        } else {
          p.skipChildren();
        }
      }
    }
  }

  /** The value's bytes; the parser's position after a scalar may sit past whitespace that follows it. */
  private static String text(byte[] body, int start, int end) {
    while (end > start && isJsonSpace(body[end - 1])) end--;
    return new String(body, start, end - start, StandardCharsets.UTF_8);
  }

  private static boolean isJsonSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }
}
