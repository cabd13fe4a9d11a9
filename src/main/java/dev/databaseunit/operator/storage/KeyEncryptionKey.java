package dev.databaseunit.operator.storage;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key-encryption key (KEK) from a Secret. It never encrypts data: it wraps each backup's random data key with
 * AES key wrap (RFC 3394), and the wrapped key is stored in the backup's manifest, so a rotation re-wraps the
 * manifests and never touches the (large) dump objects. {@link #toString()} shows only the fingerprint.
 */
public final class KeyEncryptionKey {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final SecretKey key;
  private final String fingerprint;

  private KeyEncryptionKey(byte[] raw) {
    if (raw.length != 32) {
      throw new IllegalArgumentException("a key-encryption key must be 32 bytes (AES-256), got " + raw.length);
    }
    this.key = new SecretKeySpec(raw, "AES");
    this.fingerprint = fingerprintOf(raw);
  }

  /** From the Secret's value: 32 bytes, base64 (what {@code openssl rand -base64 32} prints). */
  public static KeyEncryptionKey fromBase64(String base64) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the key-encryption key is not valid base64");
    }
    return new KeyEncryptionKey(raw);
  }

  /**
   * Identifies the key without revealing it: the first 16 hex digits of sha256 over a fixed label and the key
   * (the label keeps the fingerprint from being a plain hash of the key material).
   */
  public String fingerprint() {
    return fingerprint;
  }

  /** A fresh random AES-256 data key for one backup. */
  public static SecretKey newDataKey() {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    return new SecretKeySpec(raw, "AES");
  }

  public byte[] wrap(SecretKey dataKey) {
    try {
      Cipher cipher = Cipher.getInstance("AESWrap");
      cipher.init(Cipher.WRAP_MODE, key);
      return cipher.wrap(dataKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES key wrap is unavailable in this JVM", e);
    }
  }

  /** Unwraps a data key; the key wrap's integrity check fails when this is not the key that wrapped it. */
  public SecretKey unwrap(byte[] wrapped) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AESWrap");
    cipher.init(Cipher.UNWRAP_MODE, key);
    return (SecretKey) cipher.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
  }

  /**
   * A key for another use, derived from this one with HKDF-SHA256 (RFC 5869, no salt): the manifest MAC key, so the
   * KEK itself only ever wraps data keys, and whoever holds the KEK can check a manifest.
   */
  public byte[] derive(String info) {
    try {
      var extract = Mac.getInstance("HmacSHA256");
      extract.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
      byte[] prk = extract.doFinal(key.getEncoded());
      var expand = Mac.getInstance("HmacSHA256");
      expand.init(new SecretKeySpec(prk, "HmacSHA256"));
      expand.update(info.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      expand.update((byte) 1);
      return expand.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is unavailable in this JVM", e);
    }
  }

  private static String fingerprintOf(byte[] raw) {
    try {
      var sha = MessageDigest.getInstance("SHA-256");
      sha.update("databaseunit-kek-fingerprint-v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(sha.digest(raw), 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "KeyEncryptionKey[fingerprint=" + fingerprint + "]";
  }
}
