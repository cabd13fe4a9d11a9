package dev.databaseunit.operator.schema;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Flyway scripts of a unit, taken from its ConfigMaps and checked before anything reaches the database:
 * every key must be a Flyway file name ({@code V<version>__<description>.sql}, {@code R__<description>.sql}, or
 * either with {@code .conf} for its script configuration), no key and no version may appear twice, and a
 * {@code .conf} must belong to a script. Flyway would silently skip a misnamed key, which would leave a
 * migration out without anyone noticing; here it is an error the user sees.
 */
public final class MigrationScripts {
  private static final Pattern NAME =
      Pattern.compile("(?:V(?<version>[0-9]+(?:[._][0-9]+)*)|R)__[A-Za-z0-9][-A-Za-z0-9_.]*?\\.sql(?<conf>\\.conf)?");

  /** One file: its ConfigMap key (the Flyway file name), its text, and the ConfigMap it came from. */
  public record Script(String name, String content, String configMap) {
    @Override
    public String toString() {
      return "Script[" + configMap + "/" + name + "]";
    }
  }

  /** Either the scripts by file name, or why they cannot be used. */
  public record Result(SortedMap<String, Script> scripts, Optional<String> problem) {}

  private MigrationScripts() {}

  /**
   * @param configMaps ConfigMap name → its data, in the order the spec lists them
   */
  public static Result collect(Map<String, Map<String, String>> configMaps) {
    SortedMap<String, Script> scripts = new TreeMap<>();
    Map<Version, String> versions = new HashMap<>();
    for (var configMap : configMaps.entrySet()) {
      List<String> keys = configMap.getValue() == null ? List.of() : configMap.getValue().keySet().stream().sorted().toList();
      for (String key : keys) {
        Matcher m = NAME.matcher(key);
        if (!m.matches()) {
          return failure("ConfigMap " + configMap.getKey() + " key '" + key + "' is not a Flyway migration name "
              + "(V<version>__<description>.sql or R__<description>.sql, e.g. V1__init.sql)");
        }
        Script previous = scripts.get(key);
        if (previous != null) {
          return failure("Migration " + key + " is in both ConfigMap " + previous.configMap() + " and " + configMap.getKey());
        }
        if (m.group("version") != null && m.group("conf") == null) {
          String other = versions.putIfAbsent(Version.parse(m.group("version")), key);
          if (other != null) {
            return failure("Migrations " + other + " and " + key + " have the same version " + m.group("version"));
          }
        }
        scripts.put(key, new Script(key, configMap.getValue().get(key), configMap.getKey()));
      }
    }
    for (String name : scripts.keySet()) {
      if (name.endsWith(".conf") && !scripts.containsKey(name.substring(0, name.length() - ".conf".length()))) {
        return failure("Script configuration " + name + " (ConfigMap " + scripts.get(name).configMap()
            + ") has no migration " + name.substring(0, name.length() - ".conf".length()));
      }
    }
    return new Result(scripts, Optional.empty());
  }

  private static Result failure(String problem) {
    return new Result(new TreeMap<>(), Optional.of(problem));
  }

  /** A version as Flyway compares it: 1, 1.0 and 1_0 are the same version (trailing zeros do not count). */
  private record Version(List<BigInteger> parts) {
    static Version parse(String version) {
      List<BigInteger> parts = new ArrayList<>();
      for (String part : version.split("[._]")) {
        parts.add(new BigInteger(part));
      }
      while (parts.size() > 1 && parts.getLast().signum() == 0) {
        parts.removeLast();
      }
      return new Version(List.copyOf(parts));
    }
  }
}
