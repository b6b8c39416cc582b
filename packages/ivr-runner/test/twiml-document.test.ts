import { describe, expect, it } from "vitest";
import { TwimlError, parseTwiml, twilioSignature } from "../src/index.js";

describe("reading TwiML", () => {
  it("keeps verbs in order with their attributes, nested media in Gather and SSML text in Say", () => {
    const verbs = parseTwiml(`<?xml version="1.0" encoding="UTF-8"?>
      <Response>
        <Gather input="dtmf speech" numDigits="2" finishOnKey="*" timeout="7" action="/next?a=1&amp;b=2" method="GET" actionOnEmptyResult="true">
          <Say loop="2" language="tr-TR">Merhaba <prosody rate="slow">dünya</prosody></Say>
          <Play>tone.wav</Play>
          <Pause length="2"/>
        </Gather>
        <Record/>
        <Dial action="done"><Number>+15550001</Number><Sip>sip:a@b.example</Sip></Dial>
        <Dial>+15550002</Dial>
        <Reject reason="busy"/>
      </Response>`);
    expect(verbs).toEqual([
      {
        verb: "Gather",
        action: "/next?a=1&b=2",
        method: "GET",
        numDigits: 2,
        finishOnKey: "*",
        timeout: 7,
        input: { dtmf: true, speech: true },
        actionOnEmptyResult: true,
        children: [
          { verb: "Say", text: "Merhaba dünya", loop: 2, language: "tr-TR" },
          { verb: "Play", url: "tone.wav", loop: 1 },
          { verb: "Pause", length: 2 },
        ],
      },
      {
        verb: "Dial",
        action: "done",
        method: "POST",
        targets: [
          { kind: "number", value: "+15550001" },
          { kind: "sip", value: "sip:a@b.example" },
        ],
      },
      { verb: "Dial", action: null, method: "POST", targets: [{ kind: "number", value: "+15550002" }] },
      { verb: "Reject", reason: "busy" },
    ]);
  });

  it("refuses what Twilio would refuse, naming the problem", () => {
    const err = (xml: string) => {
      try {
        parseTwiml(xml);
        return null;
      } catch (e) {
        expect(e).toBeInstanceOf(TwimlError);
        return (e as Error).message;
      }
    };
    expect(err("<Response><Say>hi</Response>")).toMatch(/^not well-formed XML: line 1: /);
    expect(err("<Document><Say>hi</Say></Document>")).toBe("the root element must be <Response>, got <Document>");
    expect(err("<Response><Speak>hi</Speak></Response>")).toBe("unknown TwiML verb <Speak>");
    expect(err('<Response><Gather finishOnKey="x"/></Response>')).toMatch(/finishOnKey="x"/);
    expect(err("<Response><Gather><Dial>1</Dial></Gather></Response>")).toMatch(
      /may hold only <Say>, <Play> and <Pause>/,
    );
    expect(err('<Response><Redirect method="PUT">/a</Redirect></Response>')).toMatch(/expected GET or POST/);
  });

  it("signs like Twilio documents it: URL then the parameters sorted by name, HMAC-SHA1, base64", () => {
    // The example of Twilio's security documentation (auth token 12345).
    const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const params = {
      CallSid: "CA1234567890ABCDE",
      Caller: "+12349013030",
      Digits: "1234",
      From: "+12349013030",
      To: "+18005551212",
    };
    expect(twilioSignature("12345", url, params)).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  });
});
