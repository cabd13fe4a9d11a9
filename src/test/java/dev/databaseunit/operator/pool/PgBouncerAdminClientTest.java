package dev.databaseunit.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PgBouncerAdminClientTest {

  /** The SCRAM-SHA-256 example exchange of RFC 7677 section 3. */
  @Test
  void scramMatchesTheRfcExample() {
    var scram = new PgBouncerAdminClient.ScramSession("pencil", "user", "rOprNGfwEbeRWgbNEkqO");
    assertThat(scram.clientFirst()).isEqualTo("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    String clientFinal = scram.clientFinal(
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    assertThat(clientFinal).isEqualTo(
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    scram.verifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  }

  @Test
  void scramRejectsAForgedServerSignature() {
    var scram = new PgBouncerAdminClient.ScramSession("pencil", "user", "rOprNGfwEbeRWgbNEkqO");
    scram.clientFirst();
    scram.clientFinal("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    assertThatThrownBy(() -> scram.verifyServerFinal("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
        .isInstanceOf(PgBouncerAdminException.class)
        .extracting(e -> ((PgBouncerAdminException) e).kind())
        .isEqualTo(PgBouncerAdminException.Kind.AUTHENTICATION_FAILED);
  }

  @Test
  void scramRejectsANonceTheClientDidNotStart() {
    var scram = new PgBouncerAdminClient.ScramSession("pencil", "", "abc");
    scram.clientFirst();
    assertThatThrownBy(() -> scram.clientFinal("r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
        .isInstanceOf(PgBouncerAdminException.class);
  }

  /** md5(md5(password || user) || salt), the formula of PostgreSQL's MD5 auth. */
  @Test
  void md5PasswordFollowsThePostgresFormula() {
    String inner = hex("secretalice");
    String expected = "md5" + hex(inner + "\u0001\u0002\u0003\u0004");
    assertThat(PgBouncerAdminClient.md5Password("alice", "secret", new byte[] {1, 2, 3, 4})).isEqualTo(expected);
  }

  private static String hex(String s) {
    try {
      var digest = java.security.MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.ISO_8859_1));
      return java.util.HexFormat.of().formatHex(digest);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void databaseNamesArePassedPlainOrQuotedAndHostileOnesRefused() {
    assertThat(PgBouncerAdminClient.databaseName("du_test_1")).isEqualTo("du_test_1");
    assertThat(PgBouncerAdminClient.databaseName("my-db")).isEqualTo("\"my-db\"");
    assertThatThrownBy(() -> PgBouncerAdminClient.databaseName("x\"; SHUTDOWN; --")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PgBouncerAdminClient.databaseName("a\nb")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PgBouncerAdminClient.databaseName("")).isInstanceOf(IllegalArgumentException.class);
  }
}
