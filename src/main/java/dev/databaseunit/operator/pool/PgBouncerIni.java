package dev.databaseunit.operator.pool;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Renders pgbouncer.ini and its userlist from values that may come from a spec or a Secret. Nothing in a value
 * may start a new line, a new section or a new key: names are restricted to a safe alphabet, connection-string
 * values are single-quoted with quotes doubled, setting values may not contain control characters, and a value
 * that cannot be made safe is refused with an {@link IllegalArgumentException} that names the field (never the
 * value of a secret).
 */
public final class PgBouncerIni {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}");
  private static final Pattern SETTING = Pattern.compile("[a-z_]{1,64}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([-.A-Za-z0-9]*[A-Za-z0-9])?");

  private PgBouncerIni() {}

  /**
   * @param databaseEntries database name in PgBouncer → libpq-style key/values (host, port, dbname, ...)
   * @param settings the [pgbouncer] section, in order
   */
  public static String render(Map<String, Map<String, String>> databaseEntries, Map<String, String> settings) {
    var ini = new StringBuilder("[databases]\n");
    databaseEntries.forEach((name, params) -> {
      requireName(name, "database name");
      ini.append(name).append(" =");
      params.forEach((key, value) -> ini.append(' ').append(requireSetting(key)).append('=').append(quote(value, key)));
      ini.append('\n');
    });
    ini.append("\n[pgbouncer]\n");
    settings.forEach((key, value) -> ini.append(requireSetting(key)).append(" = ").append(plain(value, key)).append('\n'));
    return ini.toString();
  }

  /** A userlist.txt line: both fields double-quoted with quotes doubled, as PgBouncer reads them. */
  public static String userlistLine(String user, String password) {
    return '"' + noControl(user, "user name").replace("\"", "\"\"") + "\" \""
        + noControl(password, "password").replace("\"", "\"\"") + "\"\n";
  }

  public static String requireHost(String host) {
    if (!HOST.matcher(host).matches()) {
      throw new IllegalArgumentException("host is not a DNS name or IP address");
    }
    return host;
  }

  private static String requireName(String name, String field) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(field + " may only contain letters, digits, '_', '.' and '-' (max 63)");
    }
    return name;
  }

  private static String requireSetting(String key) {
    if (!SETTING.matcher(key).matches()) {
      throw new IllegalArgumentException("not a PgBouncer setting name: " + key);
    }
    return key;
  }

  private static String quote(String value, String field) {
    return "'" + noControl(value, field).replace("'", "''") + "'";
  }

  private static String plain(String value, String field) {
    noControl(value, field);
    if (value.contains(";") || value.contains("#")) {
      throw new IllegalArgumentException(field + " may not contain ';' or '#' (they start a comment)");
    }
    return value.strip();
  }

  private static String noControl(String value, String field) {
    if (value == null || value.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(field + " is missing or contains a line break or control character");
    }
    return value;
  }

  /** An ordered map, for callers building the sections. */
  public static Map<String, String> section() {
    return new LinkedHashMap<>();
  }
}
