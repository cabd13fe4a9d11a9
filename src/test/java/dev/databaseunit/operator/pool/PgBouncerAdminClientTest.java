package dev.databaseunit.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The console client's login against a console this test plays itself, on loopback: what it answers to each
 * authentication request a server (or an impostor listening where the console should be) can make.
 */
class PgBouncerAdminClientTest {
  private static final String PASSWORD = "pencil";

  @Test
  void aCleartextPasswordRequestOverPlainTcpIsRefusedAndNoPasswordLeaves() throws Exception {
    try (var console = new FakeConsole(FakeConsole.Script.CLEARTEXT)) {
      assertLoginRefused(console, "cleartext over a connection without TLS");
      assertThat(console.passwordMessages()).isEmpty();
    }
  }

  @Test
  void anMd5PasswordRequestOverPlainTcpIsRefusedAndNoPasswordLeaves() throws Exception {
    try (var console = new FakeConsole(FakeConsole.Script.MD5)) {
      assertLoginRefused(console, "MD5 over a connection without TLS");
      assertThat(console.passwordMessages()).isEmpty();
    }
  }

  @Test
  void authenticationOkWithoutScramServerFinalIsRefused() throws Exception {
    try (var console = new FakeConsole(FakeConsole.Script.SCRAM_OK_WITHOUT_SERVER_FINAL)) {
      assertLoginRefused(console, "without SCRAM's server-final");
    }
  }

  @Test
  void aForgedScramServerSignatureIsRefused() throws Exception {
    try (var console = new FakeConsole(FakeConsole.Script.SCRAM_FORGED_SERVER_FINAL)) {
      assertLoginRefused(console, "SCRAM signature does not match");
    }
  }

  /** A low count makes the proof cheap to brute-force offline; a huge one would keep the loop busy for hours. */
  @Test
  void scramIterationCountsOutsideTheBoundsAreRefusedBeforeAProofIsSent() throws Exception {
    for (int iterations : new int[] {1, 4095, 100_001, Integer.MAX_VALUE}) {
      try (var console = new FakeConsole(FakeConsole.Script.SCRAM_COMPLETE, iterations)) {
        long start = System.nanoTime();
        assertLoginRefused(console, "iteration count " + iterations);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(console.passwordMessages()).as("only the SASL initial response, no proof").hasSize(1);
      }
    }
  }

  @Test
  void aCompleteScramLoginWithTheServersProofSucceeds() throws Exception {
    try (var console = new FakeConsole(FakeConsole.Script.SCRAM_COMPLETE, 4096);
        var client = new PgBouncerAdminClient("127.0.0.1", console.port(), "admin", PASSWORD, Duration.ofSeconds(5))) {
      assertThat(client.query("SHOW VERSION").getFirst()).containsEntry("version", "PgBouncer fake");
    }
  }

  @Test
  void overTlsCleartextAndMd5AreAllowedBecauseNoListenerSeesThem() {
    var login = new PgBouncerAdminClient.Login(true);
    login.passwordInClear("cleartext");
    login.passwordInClear("MD5");
    login.ok();
    login.requireOk();
  }

  private static void assertLoginRefused(FakeConsole console, String why) {
    try (var client = new PgBouncerAdminClient("127.0.0.1", console.port(), "admin", PASSWORD, Duration.ofSeconds(5))) {
      assertThatThrownBy(() -> client.query("SHOW VERSION"))
          .isInstanceOf(PgBouncerAdminException.class)
          .hasMessageContaining(why)
          .extracting(e -> ((PgBouncerAdminException) e).kind())
          .isEqualTo(PgBouncerAdminException.Kind.AUTHENTICATION_FAILED);
    }
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

  /**
   * One connection of a scripted console on loopback: it answers the startup message with the script's
   * authentication requests (computing a real SCRAM exchange for the password {@value #PASSWORD}) and records
   * every PasswordMessage ('p') it receives.
   */
  private static final class FakeConsole implements AutoCloseable {
    enum Script { CLEARTEXT, MD5, SCRAM_OK_WITHOUT_SERVER_FINAL, SCRAM_FORGED_SERVER_FINAL, SCRAM_COMPLETE }

    private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    private final List<String> passwordMessages = new CopyOnWriteArrayList<>();
    private final Script script;
    private final int iterations;

    FakeConsole(Script script) throws IOException {
      this(script, 4096);
    }

    FakeConsole(Script script, int iterations) throws IOException {
      this.script = script;
      this.iterations = iterations;
      Thread.startVirtualThread(this::serve);
    }

    int port() {
      return server.getLocalPort();
    }

    List<String> passwordMessages() {
      return passwordMessages;
    }

    private void serve() {
      try (Socket s = server.accept()) {
        var in = new DataInputStream(s.getInputStream());
        var out = new DataOutputStream(s.getOutputStream());
        in.readNBytes(in.readInt() - 4); // startup message
        switch (script) {
          case CLEARTEXT -> auth(out, 3, new byte[0]);
          case MD5 -> auth(out, 5, new byte[] {1, 2, 3, 4});
          default -> scram(in, out);
        }
        read(in); // a password the client should not have sent, or its Terminate
      } catch (IOException | GeneralSecurityException e) {
        // the client hung up, as it should after a refusal
      }
    }

    private void scram(DataInputStream in, DataOutputStream out) throws IOException, GeneralSecurityException {
      auth(out, 10, "SCRAM-SHA-256\0\0".getBytes(StandardCharsets.US_ASCII));
      String initial = read(in);
      String clientFirstBare = initial.substring(initial.indexOf("n=*,r="));
      String clientNonce = clientFirstBare.substring("n=*,r=".length());
      byte[] salt = "fixed-test-salt!".getBytes(StandardCharsets.US_ASCII);
      String serverFirst = "r=" + clientNonce + "srvnonce,s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + iterations;
      auth(out, 11, serverFirst.getBytes(StandardCharsets.US_ASCII));
      String clientFinal = read(in);
      String withoutProof = clientFinal.substring(0, clientFinal.indexOf(",p="));
      String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
      byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
          .generateSecret(new PBEKeySpec(PASSWORD.toCharArray(), salt, iterations, 256)).getEncoded();
      byte[] signature = hmac(hmac(salted, "Server Key".getBytes(StandardCharsets.US_ASCII)),
          authMessage.getBytes(StandardCharsets.US_ASCII));
      if (script == Script.SCRAM_FORGED_SERVER_FINAL) {
        signature[0] ^= 1;
      }
      if (script != Script.SCRAM_OK_WITHOUT_SERVER_FINAL) {
        auth(out, 12, ("v=" + Base64.getEncoder().encodeToString(signature)).getBytes(StandardCharsets.US_ASCII));
      }
      auth(out, 0, new byte[0]);
      message(out, 'Z', new byte[] {'I'});
      if (script == Script.SCRAM_COMPLETE) {
        answerShowVersion(in, out);
      }
    }

    private void answerShowVersion(DataInputStream in, DataOutputStream out) throws IOException {
      in.readByte();
      in.readNBytes(in.readInt() - 4);
      var row = new ByteArrayOutputStream();
      var r = new DataOutputStream(row);
      r.writeShort(1);
      r.write("version\0".getBytes(StandardCharsets.US_ASCII));
      r.write(new byte[18]);
      message(out, 'T', row.toByteArray());
      var data = new ByteArrayOutputStream();
      var d = new DataOutputStream(data);
      byte[] value = "PgBouncer fake".getBytes(StandardCharsets.US_ASCII);
      d.writeShort(1);
      d.writeInt(value.length);
      d.write(value);
      message(out, 'D', data.toByteArray());
      message(out, 'Z', new byte[] {'I'});
    }

    /** A frontend message; a PasswordMessage is recorded. */
    private String read(DataInputStream in) throws IOException {
      byte type = in.readByte();
      byte[] body = in.readNBytes(in.readInt() - 4);
      String text = new String(body, StandardCharsets.ISO_8859_1);
      if (type == 'p') {
        passwordMessages.add(text);
      }
      return text;
    }

    private static void auth(DataOutputStream out, int code, byte[] payload) throws IOException {
      var body = new ByteArrayOutputStream();
      new DataOutputStream(body).writeInt(code);
      body.write(payload);
      message(out, 'R', body.toByteArray());
    }

    private static void message(DataOutputStream out, char type, byte[] body) throws IOException {
      out.writeByte(type);
      out.writeInt(body.length + 4);
      out.write(body);
      out.flush();
    }

    private static byte[] hmac(byte[] key, byte[] message) throws GeneralSecurityException {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(message);
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
