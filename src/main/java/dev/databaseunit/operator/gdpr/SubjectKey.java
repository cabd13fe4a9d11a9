package dev.databaseunit.operator.gdpr;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pseudonym of a subject id in the audit trail, the erasure ledger and status: hex HMAC-SHA256 of the id's UTF-8
 * under a key from a Secret (spec.gdpr.subjectHashKey, or one the operator makes per unit). The key is not in the
 * database, so whoever reads the database (a backup, an application with access to the audit table) cannot test
 * guessed ids against the hashes, as they could with the salted SHA-256 used before ({@link SubjectHash}, still read
 * for older ledger entries). PostgreSQL computes the same HMAC ({@link #SQL}) when a restored database is matched
 * against the ledger, from the two padded keys, so no extension (pgcrypto) is needed. {@link #toString()} shows only
 * the fingerprint.
 */
public final class SubjectKey {
  /** The ledger scheme of hashes made with a key: the prefix, then the key's fingerprint. */
  static final String SCHEME_PREFIX = "hmac-sha256:";
  /** HMAC in SQL: parameter 1 is the key xor opad, 2 the key xor ipad (64 bytes each), {@code %s} the subject column. */
  static final String SQL = "encode(sha256(?::bytea || sha256(?::bytea || convert_to(%s::text, 'UTF8'))), 'hex')";
  private static final int BLOCK = 64;

  private final byte[] key;
  private final String fingerprint;

  private SubjectKey(byte[] key) {
    if (key.length < 32) {
      throw new IllegalArgumentException("a subject hash key must be at least 32 bytes, got " + key.length);
    }
    this.key = key.clone();
    this.fingerprint = HexFormat.of().formatHex(sha256(("databaseunit-subject-key-fingerprint-v1").getBytes(StandardCharsets.US_ASCII),
        key), 0, 8);
  }

  /** From a Secret's value: base64 of at least 32 random bytes ({@code openssl rand -base64 32}). */
  public static SubjectKey fromBase64(String base64) {
    try {
      return new SubjectKey(Base64.getDecoder().decode(base64.strip()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage() != null && e.getMessage().startsWith("a subject")
          ? e.getMessage() : "the subject hash key is not valid base64");
    }
  }

  /** A new random key, base64, for the Secret the operator makes when the spec names none. */
  public static String newBase64() {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    return Base64.getEncoder().encodeToString(raw);
  }

  public String hash(String subjectId) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(subjectId.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** How ledger entries made with this key are marked. */
  String scheme() {
    return SCHEME_PREFIX + fingerprint;
  }

  public String fingerprint() {
    return fingerprint;
  }

  /** The key xor opad (0x5c), as bound first to {@link #SQL}. */
  byte[] outerPad() {
    return pad((byte) 0x5c);
  }

  /** The key xor ipad (0x36), as bound second to {@link #SQL}. */
  byte[] innerPad() {
    return pad((byte) 0x36);
  }

  private byte[] pad(byte with) {
    byte[] block = new byte[BLOCK];
    byte[] k = key.length > BLOCK ? sha256(new byte[0], key) : key;
    System.arraycopy(k, 0, block, 0, k.length);
    for (int i = 0; i < BLOCK; i++) {
      block[i] ^= with;
    }
    return block;
  }

  private static byte[] sha256(byte[] label, byte[] data) {
    try {
      var sha = MessageDigest.getInstance("SHA-256");
      sha.update(label);
      return sha.digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "SubjectKey[fingerprint=" + fingerprint + "]";
  }
}
