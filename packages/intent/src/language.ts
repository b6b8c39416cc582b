/**
 * Which language a text is in, and the case and letter folding that language needs.
 *
 * Turkish has two i's: dotted (i/İ) and dotless (ı/I). A locale-blind lower-casing turns "KARTIMI"
 * into "kartimi" and a locale-blind accent strip deletes "ı" altogether ("kartımı" → "kart m"), so
 * the case is folded with the Turkish rules when the text is Turkish. People also type Turkish
 * without its letters ("kartimi kaybettim"); after stemming, features are folded to ASCII so both
 * spellings meet.
 */

export const LANGUAGES = ["en", "tr"] as const;
export type Language = (typeof LANGUAGES)[number];
/** A language, or "auto": detect it per text. */
export type LanguageSetting = Language | "auto";

const TURKISH_LETTERS = /[çğıİöşüÇĞÖŞÜ]/;

// Frequent Turkish words of callers and IVR prompts, written without Turkish letters (they are
// compared after ASCII folding, so "için" and "icin" both count). No English word is in this list.
const TURKISH_WORDS = new Set(
  (
    "ve bir bu icin ile mi mu da de ne nasil neden lutfen tesekkur tesekkurler ederim evet hayir " +
    "istiyorum istiyoruz ogrenmek yapmak etmek olarak olan icin simdi sonra once hemen tekrar " +
    "hesap hesabim hesabimi hesabiniz hesabinizdaki bakiye bakiyem bakiyemi bakiyeniz kart kartim " +
    "kartimi kartiniz kartinizi sifre sifrem sifremi sifrenizi musteri temsilci temsilcisi " +
    "temsilcisine baglaniyorsunuz aktariyorum tuslayiniz tuslayin icin lira tl gun ay yil " +
    "menu ana tus numara numarasi numaranizi giriniz girin hosgeldiniz hos geldiniz banka " +
    "bankamiza kaybettim kayip calindi iptal odeme fatura havale eft transfer yapmak gondermek " +
    "gorusmek konusmak baglan baglanmak bekleyiniz lutfen hatta kalin gecersiz secim tekrar " +
    "deneyiniz iyi gunler dileriz aradiginiz icin"
  ).split(" "),
);

const TURKISH_SUFFIX = /(iyor|iyorum|iyoruz|yorum|niz|nız|nuz|nüz|mak|mek|dir|dır|lar|ler|mız|miz|sınız|siniz)$/;

const ENGLISH_WORDS = new Set(
  (
    "the a an to of and is are my your you i me please want would like for in on at with this that " +
    "what how can do does have has be will not it main menu press say account balance card transfer " +
    "agent speak talk hold thank thanks goodbye enter number"
  ).split(" "),
);

/** Strips accents and maps Turkish letters to their ASCII look-alikes ("şifrenizi" → "sifrenizi"). */
export function asciiFold(text: string): string {
  return text
    .replace(/ı/g, "i")
    .replace(/İ/g, "I")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "");
}

/**
 * Turkish or English, decided per text: a Turkish letter settles it; otherwise Turkish and English
 * function words and Turkish verb/possessive endings are counted, and ties go to English.
 */
export function detectLanguage(text: string): Language {
  if (TURKISH_LETTERS.test(text)) return "tr";
  const tokens = asciiFold(text.toLowerCase())
    .split(/[^a-z]+/)
    .filter(Boolean);
  let tr = 0;
  let en = 0;
  for (const t of tokens) {
    if (TURKISH_WORDS.has(t)) tr += 1;
    else if (t.length > 4 && TURKISH_SUFFIX.test(t)) tr += 0.5;
    if (ENGLISH_WORDS.has(t)) en += 1;
  }
  return tr > en ? "tr" : "en";
}

/** The language of `text` under a setting: the fixed language, or the detected one for "auto". */
export function languageOf(text: string, setting: LanguageSetting): Language {
  return setting === "auto" ? detectLanguage(text) : setting;
}

/** Lower case by the language's rules: Turkish maps I → ı and İ → i. */
export function foldCase(text: string, language: Language): string {
  return language === "tr" ? text.toLocaleLowerCase("tr-TR") : text.toLowerCase();
}
