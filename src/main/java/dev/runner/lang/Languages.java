package dev.runner.lang;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The languages, read once at start from {@code containers/IMAGE/languages.json}: one entry per
 * language, in the folder of the image that serves it, which the launcher, the image builder and the
 * node all read. Adding a language is adding an entry (and its image's packages).
 */
public final class Languages {
  private Languages() {}

  /** These languages by id and by alias (an alias never hides an id), as requests name them. */
  public static Map<String, Language> byNameAndAlias(Collection<Language> languages) {
    Map<String, Language> named = new HashMap<>();
    languages.forEach(l -> named.put(l.name(), l));
    languages.forEach(l -> l.aliases().forEach(a -> named.putIfAbsent(a, l)));
    return Map.copyOf(named);
  }

  /** Every language of every image under {@code containersDir}, by id. */
  public static Map<String, Language> load(Path containersDir) {
    Map<String, Language> all = new TreeMap<>();
    try (Stream<Path> images = Files.list(containersDir)) {
      for (Path file : images.map(d -> d.resolve("languages.json")).filter(Files::isRegularFile).sorted().toList()) {
        for (Object entry : new JsonArray(Files.readString(file))) {
          Language lang = Language.fromJson((JsonObject) entry);
          if (all.put(lang.name(), lang) != null) throw new IllegalArgumentException("language " + lang.name() + " is defined twice");
          for (String alias : lang.aliases()) {
            if (all.values().stream().anyMatch(o -> o != lang && (o.name().equals(alias) || o.aliases().contains(alias)))) {
              throw new IllegalArgumentException("alias " + alias + " of " + lang.name() + " is taken");
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the languages under " + containersDir, e);
    }
    if (all.isEmpty()) throw new IllegalArgumentException("no languages.json under " + containersDir.toAbsolutePath());
    return Map.copyOf(all);
  }
}
