//! Phone numbers identify nobody until verified: a number given at sign-up or in a profile edit
//! sends no SMS sign-in code until a code sent to it comes back, and a number another account
//! verified cannot be claimed. Over HTTP against the binary.

mod common;

use common::*;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

const SMS_PRELOGIN: &str = "/identity/resources/auth/v1/passwordless/smscode/prelogin";
const SMS_POSTLOGIN: &str = "/identity/resources/auth/v1/passwordless/smscode/postlogin";
const SIGN_UP: &str = "/identity/resources/users/v1/signUp";
const PHONES: &str = "/identity/resources/users/phone-numbers/v1";
const PHONE: &str = "+15550142";
const OTHER_PHONE: &str = "+15550143";

/// A bearer request with a JSON body.
async fn send(emu: &Emulator, method: &str, path: &str, token: &str, body: &Value) -> Response {
    emu.http
        .request(method.parse().unwrap(), emu.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Signs up with a password (active at once, possibly with a phone); answers the access token.
async fn sign_up(emu: &Emulator, email: &str, phone: Option<&str>) -> String {
    let body = json!({
        "email": email, "password": DEMO_PASSWORD, "companyName": "Co", "phoneNumber": phone,
    });
    let response = emu.post_json(SIGN_UP, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "sign-up {email}");
    let body: Value = response.json().await.unwrap();
    body["authResponse"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Asks for an SMS sign-in code by phone and by email; answers how many were sent to `phone`.
async fn sms_codes_sent(emu: &Emulator, email: &str, phone: &str) -> usize {
    for identifier in [json!({ "phoneNumber": phone }), json!({ "email": email })] {
        let response = emu.post_json(SMS_PRELOGIN, &identifier).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{identifier}");
    }
    emu.outbox(phone)
        .await
        .iter()
        .filter(|m| m["kind"] == "sms_code")
        .count()
}

/// Sets the user's number and asks for its verification code; answers `(otcToken, code)`.
async fn request_code(emu: &Emulator, token: &str, phone: &str) -> (String, String) {
    let response = send(emu, "POST", PHONES, token, &json!({ "phoneNumber": phone })).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let code = emu.outbox_code(phone, "phone_verification").await;
    (body["otcToken"].as_str().unwrap().to_owned(), code)
}

async fn verify(emu: &Emulator, token: &str, otc_token: &str, code: &str) -> Response {
    let body = json!({ "otcToken": otc_token, "code": code });
    send(emu, "POST", &format!("{PHONES}/verify"), token, &body).await
}

/// 409 `ER-04007`, the answer to a claim on another account's verified number.
async fn expect_taken(response: Response) {
    let body = expect_error(response, StatusCode::CONFLICT).await;
    assert_eq!(body["errorCode"], "ER-04007", "{body}");
}

#[tokio::test]
async fn a_phone_given_at_sign_up_signs_in_only_once_verified_by_its_code() {
    let emu = start_none().await;
    let token = sign_up(&emu, "kim@example.com", Some(PHONE)).await;
    let me: Value = emu.me(ME, &token).await.json().await.unwrap();
    assert_eq!(me["phoneNumber"], PHONE, "shown in the profile");
    assert_eq!(sms_codes_sent(&emu, "kim@example.com", PHONE).await, 0);

    let (otc_token, code) = request_code(&emu, &token, PHONE).await;
    let wrong = expect_error(
        verify(&emu, &token, &otc_token, "000000").await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(wrong.await["errorCode"], "ER-02002");
    assert_eq!(
        verify(&emu, &token, &otc_token, &code).await.status(),
        StatusCode::OK
    );
    let replay = expect_error(
        verify(&emu, &token, &otc_token, &code).await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(replay.await["errorCode"], "ER-02003", "single use");

    assert_eq!(sms_codes_sent(&emu, "kim@example.com", PHONE).await, 2);
    let code = emu.outbox_code(PHONE, "sms_code").await;
    let signed_in = emu
        .post_json(SMS_POSTLOGIN, &json!({ "token": code }))
        .await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);

    // Saving the profile with the same number keeps it verified; another number is unverified.
    let same = send(
        &emu,
        "PUT",
        ME,
        &token,
        &json!({ "name": "Kim", "phoneNumber": PHONE }),
    )
    .await;
    assert_eq!(same.status(), StatusCode::OK);
    assert_eq!(sms_codes_sent(&emu, "kim@example.com", PHONE).await, 4);
    let other = send(
        &emu,
        "PUT",
        ME,
        &token,
        &json!({ "phoneNumber": OTHER_PHONE }),
    )
    .await;
    assert_eq!(other.status(), StatusCode::OK);
    assert_eq!(
        sms_codes_sent(&emu, "kim@example.com", OTHER_PHONE).await,
        0
    );
    assert_eq!(
        sms_codes_sent(&emu, "kim@example.com", PHONE).await,
        4,
        "old number gone"
    );
}

#[tokio::test]
async fn a_victims_email_registered_with_someone_elses_phone_sends_that_phone_nothing() {
    let emu = start_none().await;
    // No password: the account awaits activation, whose link goes to the victim's inbox.
    let body = json!({ "email": "victim@example.com", "companyName": "Co", "phoneNumber": PHONE });
    assert_eq!(
        emu.post_json(SIGN_UP, &body).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(sms_codes_sent(&emu, "victim@example.com", PHONE).await, 0);
    assert!(emu.outbox(PHONE).await.is_empty());
}

#[tokio::test]
async fn a_number_verified_by_one_account_cannot_be_claimed_by_another() {
    let emu = start_none().await;
    // Developer-created numbers count as verified.
    emu.create_user(json!({ "email": "owner@example.com", "phoneNumber": PHONE }))
        .await;

    let body = json!({
        "email": "late@example.com", "password": DEMO_PASSWORD, "companyName": "Co",
        "phoneNumber": PHONE,
    });
    expect_taken(emu.post_json(SIGN_UP, &body).await).await;
    let dev = emu
        .post_json(
            "/emulator/v1/users",
            &json!({ "email": "dev@example.com", "phoneNumber": PHONE }),
        )
        .await;
    expect_taken(dev).await;
    let token = sign_up(&emu, "late@example.com", None).await;
    expect_taken(send(&emu, "PUT", ME, &token, &json!({ "phoneNumber": PHONE })).await).await;
    expect_taken(
        send(
            &emu,
            "POST",
            PHONES,
            &token,
            &json!({ "phoneNumber": PHONE }),
        )
        .await,
    )
    .await;

    // The owner still signs in by SMS.
    assert_eq!(sms_codes_sent(&emu, "owner@example.com", PHONE).await, 2);
}

#[tokio::test]
async fn of_two_accounts_claiming_one_number_only_the_first_to_verify_gets_it() {
    let emu = start_none().await;
    let first = sign_up(&emu, "first@example.com", None).await;
    let second = sign_up(&emu, "second@example.com", None).await;
    let (first_otc, first_code) = request_code(&emu, &first, PHONE).await;
    let (second_otc, second_code) = request_code(&emu, &second, PHONE).await;
    assert_eq!(
        verify(&emu, &second, &second_otc, &second_code)
            .await
            .status(),
        StatusCode::OK
    );
    expect_taken(verify(&emu, &first, &first_otc, &first_code).await).await;

    assert_eq!(sms_codes_sent(&emu, "second@example.com", PHONE).await, 2);
    // By number, the code goes to second (counted again); by first's email, none.
    assert_eq!(sms_codes_sent(&emu, "first@example.com", PHONE).await, 3);
}
