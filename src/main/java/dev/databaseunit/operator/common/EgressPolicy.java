package dev.databaseunit.operator.common;

import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where the operator may send the credentials a resource names, decided by the cluster admin (chart values, see
 * docs/security.md), never by the resource: whoever may create a DatabaseUnit or BackupPolicy picks hosts, but not
 * this. Two rules:
 * <ul>
 *   <li>credentials never travel in plaintext (PostgreSQL {@code tls.mode: disable}, Redis without TLS) except to a
 *       loopback address, or when the admin opts in with {@code allowPlaintextCredentials};</li>
 *   <li>when the admin lists hosts, database servers, S3 endpoints and restore-test scratch instances must be on the
 *       lists (an exact name or IP, or {@code *.suffix}).</li>
 * </ul>
 * TLS alone does not stop a resource author from steering credentials to a listener of their own (they choose the host
 * and may name their own CA); the allow-lists do. Checks are pure: no DNS lookup (a name is loopback only as
 * {@code localhost}).
 *
 * @param trustLoopback loopback targets are exempt from the plaintext rule (always so in the operator; tests that
 *     play an impostor on loopback turn it off)
 * @param databaseHosts empty: any
 */
public record EgressPolicy(boolean allowPlaintextCredentials, boolean trustLoopback, List<String> databaseHosts,
    List<String> s3Endpoints, List<String> scratchInstances) {
  /** No allow-lists, no plaintext credentials except to loopback: the chart's defaults. */
  public static final EgressPolicy DEFAULT = new EgressPolicy(false, true, List.of(), List.of(), List.of());
  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  public EgressPolicy {
    databaseHosts = normalised(databaseHosts);
    s3Endpoints = normalised(s3Endpoints);
    scratchInstances = normalised(scratchInstances);
  }

  /**
   * A PostgreSQL server the operator logs in to with a password.
   *
   * @param what how the message names it, e.g. "spec.postgres.external"
   */
  public void checkDatabase(String what, String host, boolean tls) throws UnitProblem {
    checkPlaintext(what, host, tls, "tls.mode: disable");
    checkListed(what, host, databaseHosts, "allowedDatabaseHosts");
  }

  /** A restore test's scratch instance, which receives the whole decrypted backup. */
  public void checkScratchInstance(String host) throws UnitProblem {
    checkListed("spec.restoreTest.scratchInstance", host, scratchInstances, "allowedScratchInstances");
  }

  /** A Redis the operator sends a password to (an open Redis receives none). */
  public void checkRedis(String host, boolean tls, boolean sendsPassword) throws UnitProblem {
    if (sendsPassword) {
      checkPlaintext("spec.cache.external", host, tls, "tls: false");
    }
  }

  /** An S3 endpoint; null is the provider's regional default. */
  public void checkS3(String what, String endpoint, String region) throws UnitProblem {
    String host = endpoint == null || endpoint.isBlank() ? "s3." + region + ".amazonaws.com" : URI.create(endpoint).getHost();
    checkListed(what, host == null ? endpoint : host, s3Endpoints, "allowedS3Endpoints");
  }

  private void checkPlaintext(String what, String host, boolean tls, String setting) throws UnitProblem {
    if (!tls && !allowPlaintextCredentials && !(trustLoopback && isLoopback(host))) {
      throw new UnitProblem(EventReason.PlaintextCredentialsRefused, what + " (" + host + ") has " + setting
          + ": the operator does not send credentials over a connection without TLS except to a loopback address; enable TLS, "
          + "or have the cluster admin set the chart value security.allowPlaintextCredentials");
    }
  }

  private static void checkListed(String what, String host, List<String> allowed, String value) throws UnitProblem {
    if (!allowed.isEmpty() && allowed.stream().noneMatch(entry -> matches(entry, host))) {
      throw new UnitProblem(EventReason.TargetNotAllowed, what + " names " + host + ", which the chart value security." + value
          + " does not list (" + String.join(", ", allowed) + "); nothing was sent there");
    }
  }

  static boolean matches(String entry, String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    return entry.startsWith("*.") ? h.endsWith(entry.substring(1)) && h.length() > entry.length() - 1 : h.equals(entry);
  }

  /** localhost, 127.0.0.0/8 or ::1, written as such. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost") || h.equals("localhost.") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")) {
      return true;
    }
    var ipv4 = IPV4.matcher(h);
    if (!ipv4.matches()) {
      return false;
    }
    for (int i = 1; i <= 4; i++) {
      if (Integer.parseInt(ipv4.group(i)) > 255) {
        return false;
      }
    }
    return Integer.parseInt(ipv4.group(1)) == 127;
  }

  private static List<String> normalised(List<String> hosts) {
    return hosts == null ? List.of() : hosts.stream().map(String::trim).filter(s -> !s.isEmpty())
        .map(s -> s.toLowerCase(Locale.ROOT)).toList();
  }
}
