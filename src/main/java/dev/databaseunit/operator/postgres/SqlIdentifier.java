package dev.databaseunit.operator.postgres;

import java.util.regex.Pattern;

/**
 * SQL identifiers that come from a spec. The CRD already restricts them to lower-case unquoted names; this is
 * the second line of defence for every statement we build: anything else is refused before it reaches SQL,
 * and what passes is always double-quoted.
 */
public final class SqlIdentifier {
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private SqlIdentifier() {}

  /** True for a name we accept: lower-case letters, digits and underscores, at most 63 bytes, not starting with a digit. */
  public static boolean isValid(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** The quoted form of a valid name, e.g. {@code "recipes"}; throws for anything else. */
  public static String quote(String name) {
    if (!isValid(name)) {
      throw new IllegalArgumentException("not a valid SQL identifier: " + describe(name));
    }
    return '"' + name + '"';
  }

  /** A schema-qualified or plain table name, each part quoted: {@code public.recipes} becomes {@code "public"."recipes"}. */
  public static String quoteQualified(String qualifiedName) {
    if (qualifiedName == null) {
      throw new IllegalArgumentException("not a valid SQL identifier: null");
    }
    int dot = qualifiedName.indexOf('.');
    return dot < 0 ? quote(qualifiedName) : quote(qualifiedName.substring(0, dot)) + "." + quote(qualifiedName.substring(dot + 1));
  }

  /** A printable rendering of a rejected name for a Degraded message (bounded, control characters escaped). */
  public static String describe(String name) {
    if (name == null) {
      return "null";
    }
    String shown = name.length() > 80 ? name.substring(0, 80) + "..." : name;
    var out = new StringBuilder("'");
    shown.codePoints().forEach(cp -> {
      if (Character.isISOControl(cp)) {
        out.append(String.format("\\u%04x", cp));
      } else {
        out.appendCodePoint(cp);
      }
    });
    return out.append('\'').toString();
  }
}
