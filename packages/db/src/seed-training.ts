import type { TrainingInput } from "@verdict/schema";

/**
 * The seed's intent training data: what an IVR says (the "IVR response text" an intent step
 * classifies), in English and Turkish, labelled with the intent of the caller the prompt answers.
 * Written for Verdict in the style of retail-banking phone menus (read-outs, sub-menus,
 * confirmations, hold messages); none of them is a prompt of the demo IVR (apps/demo-ivr), which
 * words the same situations differently, so the demo shows the classifier generalising.
 *
 * Each intent has 12 validated samples (6 English, 6 Turkish) and 2 pending ones. Its threshold
 * is the one `verdict training thresholds` suggests for the validated samples (defaults: 5-fold
 * cross-validation, seed 1, target precision 0.95); the classifier takes an intent's threshold
 * from its samples. Change a sample and run it again (`verdict init --seed` on an empty
 * database, then `verdict training thresholds`).
 */
export interface SeedTrainingSample {
  text: string;
  intent: string;
  source: TrainingInput["source"];
  status: "validated" | "pending";
  threshold: number;
}

type Row = readonly [text: string, source: TrainingInput["source"], status?: "pending"];

const INTENTS: { intent: string; threshold: number; rows: Row[] }[] = [
  {
    intent: "check_balance",
    threshold: 0.85,
    rows: [
      ["Your available balance is 2,310 dollars and 15 cents.", "recorded"],
      ["The current balance of your checking account ending in 4417 is 86 dollars.", "recorded"],
      ["As of this morning, your savings balance is 12,000 dollars.", "synthetic"],
      ["Your account balance is 540 dollars. Your last deposit of 200 dollars posted on March 3rd.", "recorded"],
      ["Your current balance is 73 dollars and 12 cents, not counting a pending charge of 20 dollars.", "manual"],
      ["Your credit card balance is 645 dollars; a minimum payment of 25 dollars is due on the 15th.", "synthetic"],
      ["Balance information is temporarily unavailable. Please try again later.", "recorded", "pending"],
      ["Kullanılabilir bakiyeniz 2.310 lira 15 kuruştur.", "recorded"],
      ["4417 ile biten vadesiz hesabınızın güncel bakiyesi 86 TL'dir.", "recorded"],
      ["Bu sabah itibarıyla birikim hesabınızın bakiyesi 12.000 liradır.", "synthetic"],
      ["Hesap bakiyeniz 540 liradır. Son yatırılan 200 lira 3 Mart'ta hesabınıza geçmiştir.", "recorded"],
      ["Güncel bakiyeniz 73 lira 12 kuruştur; 20 liralık bekleyen harcama bu tutara dahil değildir.", "manual"],
      ["Kredi kartı borcunuz 645 liradır, 25 liralık asgari ödemenin son günü ayın 15'idir.", "synthetic"],
      ["Bakiye bilgisine şu anda ulaşılamıyor, lütfen daha sonra tekrar deneyiniz.", "recorded", "pending"],
    ],
  },
  {
    intent: "transfer_funds",
    threshold: 0.84,
    rows: [
      ["To move money between your own accounts, press 1. To send money to someone else, press 2.", "recorded"],
      ["Please enter the amount you would like to transfer, followed by the pound key.", "recorded"],
      ["Which account would you like to transfer from? Say checking or savings.", "synthetic"],
      ["Enter the recipient's account number, then press pound.", "manual"],
      [
        "You are about to send 250 dollars to the account ending in 9031. Press 1 to confirm or 2 to change the amount.",
        "recorded",
      ],
      ["The 75 dollar transfer to the account ending in 1188 will be sent tomorrow morning.", "synthetic"],
      ["Transfers above your daily limit must be made at a branch.", "manual", "pending"],
      [
        "Kendi hesaplarınız arasında para aktarmak için 1'e, başka birine para göndermek için 2'ye basınız.",
        "recorded",
      ],
      ["Lütfen göndermek istediğiniz tutarı tuşlayıp ardından kare tuşuna basınız.", "recorded"],
      ["Hangi hesabınızdan transfer yapmak istersiniz? Vadesiz ya da birikim diyebilirsiniz.", "synthetic"],
      ["Alıcının hesap numarasını girip kare tuşuna basınız.", "manual"],
      [
        "9031 ile biten hesaba 250 lira göndermek üzeresiniz. Onaylamak için 1'e, tutarı değiştirmek için 2'ye basınız.",
        "recorded",
      ],
      ["1188 ile biten hesaba 75 liralık havaleniz yarın sabah gönderilecektir.", "synthetic"],
      ["Günlük limitinizin üzerindeki havaleler için şubemize başvurunuz.", "manual", "pending"],
    ],
  },
  {
    intent: "speak_to_agent",
    threshold: 0.412,
    rows: [
      ["Please hold while I connect you to the next available agent.", "recorded"],
      [
        "All of our representatives are currently helping other callers. Your estimated wait time is 4 minutes.",
        "recorded",
      ],
      ["Thank you for holding. An agent will answer your call in the order it was received.", "recorded"],
      [
        "This call may be recorded for quality and training purposes. A representative will be with you shortly.",
        "synthetic",
      ],
      ["One moment please, I'm putting you through to a representative who can help.", "manual"],
      ["Our agents are available weekdays from 8 am to 8 pm. Please stay on the line to be connected.", "synthetic"],
      ["To get a call back instead of waiting, press 1.", "manual", "pending"],
      ["Sizi müşteri temsilcimize bağlıyorum, lütfen hatta kalınız.", "recorded"],
      [
        "Tüm müşteri temsilcilerimiz şu anda diğer müşterilerimize hizmet vermektedir. Tahmini bekleme süreniz 4 dakikadır.",
        "recorded",
      ],
      [
        "Beklediğiniz için teşekkür ederiz. Sıranız geldiğinde ilk uygun müşteri temsilcimiz çağrınızı yanıtlayacaktır.",
        "recorded",
      ],
      [
        "Görüşmeniz hizmet kalitesi amacıyla kayıt altına alınabilir. Birazdan bir müşteri temsilcimiz sizinle görüşecektir.",
        "synthetic",
      ],
      ["Lütfen bekleyiniz, görüşmeniz bir temsilcimize aktarılıyor.", "manual"],
      [
        "Müşteri temsilcilerimize hafta içi 08.00 ile 20.00 arasında ulaşabilirsiniz. Bağlanmak için lütfen hatta kalınız.",
        "synthetic",
      ],
      ["Beklemek yerine sizi geri aramamızı isterseniz 1'e basınız.", "manual", "pending"],
    ],
  },
  {
    intent: "report_lost_card",
    threshold: 0.41,
    rows: [
      ["Your debit card ending in 5521 has been blocked. A new card will arrive in 5 to 7 business days.", "recorded"],
      ["If your card has been lost or stolen, press 1 to block it right away.", "recorded"],
      ["For your security we have frozen your card. No further purchases can be made with it.", "synthetic"],
      ["Please enter the last four digits of the lost or stolen card.", "manual"],
      ["A replacement card has been ordered and will be mailed to your address on file.", "recorded"],
      ["We have cancelled the card and opened a dispute for the two transactions you did not recognise.", "synthetic"],
      ["Card services are available 24 hours a day.", "manual", "pending"],
      [
        "5521 ile biten banka kartınız kullanıma kapatılmıştır. Yeni kartınız 5 ila 7 iş günü içinde adresinize ulaşacaktır.",
        "recorded",
      ],
      ["Kartınız kaybolduysa veya çalındıysa kartınızı hemen kullanıma kapatmak için 1'e basınız.", "recorded"],
      ["Güvenliğiniz için kartınız bloke edilmiştir, kartınızla artık alışveriş yapılamaz.", "synthetic"],
      ["Lütfen kaybolan veya çalınan kartın son dört hanesini tuşlayınız.", "manual"],
      ["Yeni kartınız basılmak üzere sıraya alınmıştır, kayıtlı adresinize gönderilecektir.", "recorded"],
      ["Kartınız iptal edilmiş, tanımadığınız iki harcama için itiraz kaydı açılmıştır.", "synthetic"],
      ["Kart hizmetlerimize 7 gün 24 saat ulaşabilirsiniz.", "manual", "pending"],
    ],
  },
  {
    intent: "main_menu",
    threshold: 0.77,
    rows: [
      [
        "Thank you for calling Northwind Bank. For balances and recent activity, press 1. For payments and transfers, press 2.",
        "recorded",
      ],
      ["Please listen carefully, as our menu options have changed.", "recorded"],
      ["Main menu. You can say things like balance, payments or lost card.", "synthetic"],
      ["To hear these options again, press 9. To go back to the previous menu, press star.", "recorded"],
      ["How can I help you today? You can also press 0 at any time.", "manual"],
      ["Welcome back. Please choose one of the following options.", "synthetic"],
      ["Our menu has been updated to serve you better.", "manual", "pending"],
      [
        "Northwind Bank'ı aradığınız için teşekkür ederiz. Bakiye ve hesap hareketleri için 1'e, ödemeler ve havaleler için 2'ye basınız.",
        "recorded",
      ],
      ["Menü seçeneklerimiz değişmiştir, lütfen dikkatle dinleyiniz.", "recorded"],
      ["Ana menü. Bakiye, ödeme ya da kayıp kart gibi ifadeler kullanabilirsiniz.", "synthetic"],
      ["Seçenekleri yeniden dinlemek için 9'a, bir önceki menüye dönmek için yıldız tuşuna basınız.", "recorded"],
      ["Size nasıl yardımcı olabilirim? İstediğiniz zaman 0'a da basabilirsiniz.", "manual"],
      ["Tekrar hoş geldiniz. Lütfen aşağıdaki seçeneklerden birini seçiniz.", "synthetic"],
      ["Menümüz size daha iyi hizmet verebilmek için yenilenmiştir.", "manual", "pending"],
    ],
  },
];

export const SEED_TRAINING_SAMPLES: SeedTrainingSample[] = INTENTS.flatMap(({ intent, threshold, rows }) =>
  rows.map(([text, source, pending]) => ({
    text,
    intent,
    source,
    status: pending ?? "validated",
    threshold,
  })),
);
