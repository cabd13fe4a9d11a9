package dev.databaseunit.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Randomised inputs for identifier quoting: whatever a spec contains, the result is either a refusal or a
 * double-quoted plain name that cannot end the identifier, start a comment or add a statement.
 */
class SqlIdentifierFuzzTest {
  private static final Pattern SAFE_QUOTED = Pattern.compile("\"[a-z_][a-z0-9_]{0,62}\"");
  private static final int[] HOSTILE = "\"';-/*\\ \t\n\r\u0000$`()[]{}.,%_aZ09é漢\uD83D\uDE00".codePoints().toArray();

  @Test
  void noInputProducesAnInjectableIdentifier() {
    var random = new Random(20261125L);
    int accepted = 0;
    for (int i = 0; i < 200_000; i++) {
      String input = randomInput(random);
      try {
        String quoted = SqlIdentifier.quote(input);
        assertThat(quoted).as("input %s", SqlIdentifier.describe(input)).matches(SAFE_QUOTED);
        assertThat(quoted).isEqualTo('"' + input + '"');
        accepted++;
      } catch (IllegalArgumentException refused) {
        assertThat(refused.getMessage()).startsWith("not a valid SQL identifier");
        assertThat(SqlIdentifier.isValid(input)).isFalse();
      }
    }
    // The generator must exercise both outcomes, or the loop proves nothing.
    assertThat(accepted).isBetween(1_000, 199_000);
  }

  @Test
  void qualifiedNamesQuoteEachPartAndRefuseExtraDots() {
    assertThat(SqlIdentifier.quoteQualified("public.recipes")).isEqualTo("\"public\".\"recipes\"");
    assertThat(SqlIdentifier.quoteQualified("recipes")).isEqualTo("\"recipes\"");
    assertThatIllegalArgumentException().isThrownBy(() -> SqlIdentifier.quoteQualified("a.b.c"));
    assertThatIllegalArgumentException().isThrownBy(() -> SqlIdentifier.quoteQualified("a\".b"));
    assertThatIllegalArgumentException().isThrownBy(() -> SqlIdentifier.quoteQualified(null));
  }

  @Test
  void describeEscapesControlCharactersAndBoundsLength() {
    assertThat(SqlIdentifier.describe("a\nb\u0000")).isEqualTo("'a\\u000ab\\u0000'");
    assertThat(SqlIdentifier.describe("x".repeat(500))).hasSize(85);
  }

  private static String randomInput(Random random) {
    int length = random.nextInt(70);
    var out = new StringBuilder();
    boolean plain = random.nextInt(3) == 0;
    for (int i = 0; i < length; i++) {
      if (plain) {
        out.append("abcxyz_0189".charAt(random.nextInt(11)));
      } else {
        out.appendCodePoint(HOSTILE[random.nextInt(HOSTILE.length)]);
      }
    }
    return out.toString();
  }
}
