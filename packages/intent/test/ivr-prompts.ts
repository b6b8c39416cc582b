/**
 * What IVRs say, in English and Turkish, labelled with the state of the call the prompt belongs
 * to: the "IVR response text" that Verdict's intent steps classify. Written for these tests in the
 * style of real banking and telecom IVRs (menus, read-outs, confirmations, errors); each intent has
 * prompts that share few words, so the classifier has to generalise. 8 intents × 16 prompts, half Turkish.
 */
export interface Prompt {
  text: string;
  intent: string;
  language: "en" | "tr";
}

const data: Record<string, { en: string[]; tr: string[] }> = {
  main_menu: {
    en: [
      "Welcome to First Union Bank. For account balances, press 1. For transfers, press 2. To speak with an agent, press 0.",
      "Main menu. Press 1 for your balance, 2 to move money, or 9 to hear these options again.",
      "Thank you for calling. Please listen carefully as our menu options have changed.",
      "You can say balance, transfers or cards, or press star to return to the previous menu.",
      "For English, stay on the line. Please choose from the following options.",
      "How can I help you today? You can say things like check my balance or report a lost card.",
      "To hear your options again, press the pound key.",
      "Welcome back. Please select one of the following services.",
    ],
    tr: [
      "Bankamıza hoş geldiniz. Bakiye bilgisi için 1'i, para transferi için 2'yi, müşteri temsilcisi için 0'ı tuşlayınız.",
      "Ana menü. Hesap işlemleri için 1'e, kart işlemleri için 2'ye basınız.",
      "Aradığınız için teşekkür ederiz. Menü seçeneklerimiz değişmiştir, lütfen dikkatle dinleyiniz.",
      "Seçenekleri tekrar dinlemek için yıldız tuşuna basınız.",
      "Size nasıl yardımcı olabilirim? Bakiye, havale veya kart diyebilirsiniz.",
      "Türkçe için hatta kalınız. Lütfen aşağıdaki seçeneklerden birini seçiniz.",
      "Önceki menüye dönmek için kare tuşuna basınız.",
      "Tekrar hoş geldiniz. Lütfen yapmak istediğiniz işlemi seçiniz.",
    ],
  },
  balance_readout: {
    en: [
      "Your available balance is 1,204 dollars and 50 cents.",
      "The current balance of your checking account ending in 4321 is 310 dollars.",
      "Your savings account has a balance of 12,000 dollars as of today.",
      "Available funds: 87 dollars. Your last deposit was 500 dollars on March 3rd.",
      "You have 2,450 dollars available, with 120 dollars in pending transactions.",
      "The ledger balance is 990 dollars and the available balance is 940 dollars.",
      "Your credit card balance is 645 dollars. The minimum payment due is 25 dollars.",
      "As of this morning, your account holds 73 dollars and 12 cents.",
    ],
    tr: [
      "Kullanılabilir bakiyeniz 1.204 lira 50 kuruştur.",
      "4321 ile biten vadesiz hesabınızın güncel bakiyesi 310 TL'dir.",
      "Birikim hesabınızda bugün itibarıyla 12.000 lira bulunmaktadır.",
      "Kullanılabilir tutar 87 lira. Son yatırılan para 3 Mart'ta 500 liradır.",
      "Hesabınızda 2.450 TL kullanılabilir, 120 TL bekleyen işlem bulunmaktadır.",
      "Kredi kartı borcunuz 645 liradır, asgari ödeme tutarı 25 liradır.",
      "Bu sabah itibarıyla hesabınızda 73 lira 12 kuruş vardır.",
      "Hesap bakiyeniz 990 lira, kullanılabilir bakiyeniz 940 liradır.",
    ],
  },
  transfer_menu: {
    en: [
      "To transfer between your own accounts, press 1. To send money to someone else, press 2.",
      "Please enter the amount you would like to transfer, followed by the pound key.",
      "Which account would you like to move the money from? Say checking or savings.",
      "Enter the recipient's account number, then press pound.",
      "Transfers made after 6 PM are processed on the next business day.",
      "To set up a recurring payment, press 3.",
      "Say the name of the payee you want to pay.",
      "How much would you like to send? You can say an amount like fifty dollars.",
    ],
    tr: [
      "Kendi hesaplarınız arasında transfer için 1'i, başka bir hesaba havale için 2'yi tuşlayınız.",
      "Lütfen göndermek istediğiniz tutarı girip kare tuşuna basınız.",
      "Parayı hangi hesabınızdan göndermek istersiniz? Vadesiz veya birikim diyebilirsiniz.",
      "Alıcının IBAN numarasını tuşlayıp kare tuşuna basınız.",
      "Saat 18'den sonra yapılan EFT işlemleri bir sonraki iş günü gerçekleşir.",
      "Düzenli ödeme talimatı vermek için 3'e basınız.",
      "Ödeme yapmak istediğiniz kişinin adını söyleyiniz.",
      "Ne kadar göndermek istersiniz? Elli lira gibi bir tutar söyleyebilirsiniz.",
    ],
  },
  card_blocked: {
    en: [
      "Your card ending in 1234 has been blocked. A replacement will arrive in 5 to 7 business days.",
      "We have cancelled the lost card. No further purchases can be made with it.",
      "The stolen card is now deactivated and a new one is on its way.",
      "Your debit card is frozen. To unfreeze it, use the mobile app.",
      "For your security, the card has been suspended and a fraud case has been opened.",
      "Card cancellation complete. Your new card will have a different number.",
      "We blocked the card you reported missing. Recurring payments will move to the new card.",
      "The card is locked. If you find it, you can unlock it from online banking.",
    ],
    tr: [
      "1234 ile biten kartınız bloke edilmiştir. Yeni kartınız 5 ile 7 iş günü içinde adresinize ulaşacaktır.",
      "Kayıp kartınız iptal edildi, bu kartla artık harcama yapılamaz.",
      "Çalınan kartınız kullanıma kapatıldı ve yeni kartınız hazırlanıyor.",
      "Banka kartınız donduruldu. Tekrar açmak için mobil uygulamayı kullanınız.",
      "Güvenliğiniz için kartınız askıya alındı ve bir dolandırıcılık kaydı açıldı.",
      "Kart iptal işleminiz tamamlandı. Yeni kartınızın numarası farklı olacaktır.",
      "Kaybolduğunu bildirdiğiniz kartı kapattık. Düzenli ödemeleriniz yeni karta aktarılacaktır.",
      "Kartınız kilitlendi. Bulursanız internet şubesinden kilidi kaldırabilirsiniz.",
    ],
  },
  agent_transfer: {
    en: [
      "Please hold while I connect you to the next available representative.",
      "Transferring you to an agent now. Your call may be recorded for quality purposes.",
      "All of our advisors are busy. Your estimated wait time is 4 minutes.",
      "One moment please, I'm putting you through to customer service.",
      "You are number 3 in the queue. Please stay on the line.",
      "Connecting you to a specialist who can help with your request.",
      "I'll pass you to a member of our team.",
      "Our lines are open from 8 AM to 8 PM. Please hold for the next operator.",
    ],
    tr: [
      "Sizi ilk uygun müşteri temsilcimize bağlıyorum, lütfen hatta kalınız.",
      "Görüşmeniz hizmet kalitesi için kaydedilebilir. Temsilciye aktarılıyorsunuz.",
      "Tüm temsilcilerimiz şu an meşgul. Tahmini bekleme süreniz 4 dakikadır.",
      "Bir dakika lütfen, sizi müşteri hizmetlerine aktarıyorum.",
      "Sırada 3. kişisiniz. Lütfen hattan ayrılmayınız.",
      "Talebinizle ilgilenecek uzmanımıza bağlanıyorsunuz.",
      "Sizi ekip arkadaşıma aktarıyorum.",
      "Çağrı merkezimiz 08.00 ile 20.00 arası hizmet vermektedir. Lütfen bekleyiniz.",
    ],
  },
  pin_request: {
    en: [
      "Please enter your four digit PIN followed by the pound sign.",
      "For security, key in your telephone banking passcode.",
      "Enter the last four digits of your social security number.",
      "Please say or enter your date of birth, for example 0 1 0 3 1 9 8 0.",
      "Type your customer number now.",
      "To verify your identity, enter the one-time code we just sent by text message.",
      "Please enter your card number, then the pound key.",
      "What is your account number? You can say it or type it on your keypad.",
    ],
    tr: [
      "Lütfen dört haneli şifrenizi girip kare tuşuna basınız.",
      "Güvenliğiniz için telefon bankacılığı şifrenizi tuşlayınız.",
      "T.C. kimlik numaranızın son dört hanesini giriniz.",
      "Lütfen doğum tarihinizi gün, ay ve yıl olarak tuşlayınız.",
      "Müşteri numaranızı şimdi giriniz.",
      "Kimliğinizi doğrulamak için cep telefonunuza gönderdiğimiz tek kullanımlık kodu giriniz.",
      "Lütfen kart numaranızı tuşlayıp kare tuşuna basınız.",
      "Hesap numaranız nedir? Söyleyebilir ya da tuşlayabilirsiniz.",
    ],
  },
  invalid_input: {
    en: [
      "Sorry, I didn't get that. Please try again.",
      "That is not a valid option.",
      "I'm sorry, the PIN you entered is incorrect. You have two attempts left.",
      "We did not receive any input.",
      "Invalid entry. Please enter a number between 1 and 4.",
      "I still didn't understand. Let's try once more.",
      "The account number you entered could not be found.",
      "Sorry, that amount exceeds your daily limit.",
    ],
    tr: [
      "Üzgünüm, sizi anlayamadım. Lütfen tekrar deneyiniz.",
      "Geçersiz bir seçim yaptınız.",
      "Girdiğiniz şifre hatalı. İki deneme hakkınız kaldı.",
      "Herhangi bir tuşlama algılanmadı.",
      "Hatalı giriş. Lütfen 1 ile 4 arasında bir rakam tuşlayınız.",
      "Yine anlayamadım, bir kez daha deneyelim.",
      "Girdiğiniz hesap numarası bulunamadı.",
      "Üzgünüz, bu tutar günlük limitinizi aşıyor.",
    ],
  },
  goodbye: {
    en: [
      "Thank you for banking with us. Goodbye.",
      "Is there anything else I can help you with? If not, you can hang up now.",
      "Thanks for calling, have a great day.",
      "Your request is complete. We appreciate your business.",
      "This call will now end. Thank you.",
      "We are unable to continue. Please call back during business hours.",
      "Thank you, your feedback has been recorded. Goodbye.",
      "You can also manage your account any time in our mobile app. Bye for now.",
    ],
    tr: [
      "Bizi tercih ettiğiniz için teşekkür ederiz. İyi günler.",
      "Size yardımcı olabileceğim başka bir konu var mı? Yoksa görüşmeyi sonlandırabilirsiniz.",
      "Aradığınız için teşekkürler, iyi günler dileriz.",
      "Talebiniz tamamlandı. İlginiz için teşekkür ederiz.",
      "Görüşmeniz şimdi sonlandırılacaktır. Teşekkürler.",
      "İşleminize devam edemiyoruz. Lütfen mesai saatleri içinde tekrar arayınız.",
      "Teşekkürler, görüşleriniz kaydedildi. Hoşça kalın.",
      "Hesabınızı dilediğiniz zaman mobil uygulamamızdan da yönetebilirsiniz. Hoşça kalın.",
    ],
  },
};

export const PROMPTS: Prompt[] = Object.entries(data).flatMap(([intent, { en, tr }]) => [
  ...en.map((text) => ({ text, intent, language: "en" as const })),
  ...tr.map((text) => ({ text, intent, language: "tr" as const })),
]);
