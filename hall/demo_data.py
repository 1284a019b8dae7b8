"""Demo halls, service guides and accounts for `manage.py seed_demo`.

Plain data only. Every translated text is a pair (Simplified Chinese, English); the command stores
the first in `<field>_zh_hans` and the second in `<field>_en`. Steps are lists of pairs, one step each.

The halls, addresses, telephone numbers and people are fictional. The guides follow general
household-registration practice and national rules (Resident Identity Card Law, Regulations on
Household Registration, Interim Regulations on Residence Permits); a real hall must check them
against its province's own rules before use.
"""

import datetime as dt

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed by the command; demo databases only

# ---------------------------------------------------------------------------------------------
# Service guides, keyed by service code. Order here is the order on the citizens' pages.
# ---------------------------------------------------------------------------------------------

_PHOTO = {
    "name": ("证件照片", "ID photo"),
    "note": (
        "本大厅现场免费拍照，无需自带；自带的须符合居民身份证照片标准",
        "Taken free of charge in the hall, no need to bring one; "
        "a photo you bring must meet the ID card photo standard",
    ),
    "required": False,
}

_ID_CARD_TIME_LIMIT = (
    "自受理之日起60日内发放；交通不便的地区可适当延长，但延长不超过30日（《居民身份证法》第十条）",
    "Issued within 60 days of acceptance; in areas with poor transport this may be extended "
    "by at most 30 days (Resident Identity Card Law, Article 10)",
)

_FREE = ("免费。", "Free of charge.")

SERVICES = {
    "id-card-first": {
        "prefix": "A",
        "average_handling_minutes": 10,
        "time_limit_days": 60,
        "bookable": True,
        "by_post": True,
        "home_visit": True,
        "name": ("居民身份证首次申领", "Resident ID card: first application"),
        "summary": (
            "年满十六周岁的公民应当申领居民身份证；未满十六周岁的可由监护人代为申领。",
            "Citizens aged 16 or over must apply for a resident ID card; "
            "for those under 16 a guardian may apply on their behalf.",
        ),
        "eligibility": (
            "户籍在本县的中国公民：年满十六周岁的，应当申请领取居民身份证；"
            "未满十六周岁的，可以由监护人代为申请领取。",
            "Chinese citizens whose household registration is in this county: those aged 16 or over "
            "must apply for a resident ID card; for those under 16 a guardian may apply on their behalf.",
        ),
        "fees": (
            "工本费20元。城市中领取最低生活保障金的居民、农村中有特殊生活困难的居民，凭有关证明免收工本费。",
            "Card fee 20 yuan. Urban residents receiving the minimum living allowance and rural residents "
            "in special hardship are exempt on showing the relevant certificate.",
        ),
        "time_limit": _ID_CARD_TIME_LIMIT,
        "steps": [
            (
                "取号或凭预约码签到，到身份证窗口办理。",
                "Take a ticket or check in with your booking code, then go to an ID card window.",
            ),
            (
                "提交居民户口簿，核对姓名、出生日期、公民身份号码等登记项目。",
                "Hand in the household register; staff check your name, date of birth, "
                "citizen ID number and other registered items.",
            ),
            ("现场拍摄证件照片，采集指纹。", "Have your ID photo taken and your fingerprints recorded."),
            (
                "核对申领登记表并签名，缴纳工本费，领取受理回执。",
                "Check and sign the application form, pay the card fee and take the acceptance receipt.",
            ),
            (
                "凭受理回执到窗口领取，或选择邮寄送达。",
                "Collect the card at the window with the receipt, or choose delivery by post.",
            ),
        ],
        "notes": (
            "实际一般15个工作日左右即可制证完成，完成后短信通知领取。"
            "申领人须本人到场采集人像和指纹；未满十六周岁的由监护人陪同，证件有效期为5年。"
            "选择邮寄的，邮费自理。",
            "In practice the card is usually ready in about 15 working days, and you will be told by "
            "text message. The applicant must come in person for the photo and fingerprints; "
            "applicants under 16 come with a guardian and receive a card valid for 5 years. "
            "Postage for delivery by post is paid by the applicant.",
        ),
        "materials": [
            {
                "name": ("居民户口簿", "Household register (hukou booklet)"),
                "note": (
                    "原件；申领人须已在户口簿上登记",
                    "Original; the applicant must be registered in it",
                ),
                "required": True,
            },
            {
                "name": ("监护人居民身份证", "Guardian's resident ID card"),
                "note": (
                    "未满十六周岁的申领人由监护人陪同，出示原件",
                    "Original; applicants under 16 come with a guardian",
                ),
                "required": False,
            },
            _PHOTO,
        ],
    },
    "id-card-renewal": {
        "prefix": "B",
        "average_handling_minutes": 10,
        "time_limit_days": 60,
        "bookable": True,
        "by_post": True,
        "home_visit": True,
        "name": ("居民身份证换领", "Resident ID card: renewal"),
        "summary": (
            "居民身份证有效期满、登记项目变更或严重损坏不能辨认的，申请换领新证。",
            "Apply for a new card when your ID card expires, its registered details change, "
            "or it is too damaged to read.",
        ),
        "eligibility": (
            "居民身份证有效期满或即将期满（期满前三个月内）、登记项目发生变更、证件严重损坏不能辨认的公民。"
            "外省市户籍人员可在本大厅办理异地换领。",
            "Citizens whose ID card has expired or will expire within three months, whose registered "
            "details have changed, or whose card is too damaged to read. People registered in other "
            "provinces or cities can renew here as an out-of-area application.",
        ),
        "fees": (
            "有效期满换领、登记项目变更换领：工本费20元；证件损坏换领：工本费40元。"
            "城市最低生活保障对象和农村特殊困难居民凭有关证明免收。",
            "Renewal on expiry or after a change of details: card fee 20 yuan; renewal of a damaged "
            "card: 40 yuan. Recipients of the urban minimum living allowance and rural residents in "
            "special hardship are exempt on showing the relevant certificate.",
        ),
        "time_limit": _ID_CARD_TIME_LIMIT,
        "steps": [
            ("取号或凭预约码签到。", "Take a ticket or check in with your booking code."),
            (
                "出示原居民身份证，核对户籍登记信息。",
                "Show your current ID card; staff check your registered details.",
            ),
            ("现场拍摄证件照片，采集指纹。", "Have your ID photo taken and your fingerprints recorded."),
            (
                "核对申领信息并签名，缴纳工本费，领取受理回执。",
                "Check and sign the application, pay the card fee and take the acceptance receipt.",
            ),
            (
                "凭回执领取新证并交回旧证，或选择邮寄送达。",
                "Collect the new card with the receipt and hand in the old one, or choose delivery by post.",
            ),
        ],
        "notes": (
            "有效期满前三个月内即可申请换领，旧证在领取新证前可继续使用。"
            "新证有效期：十六周岁至二十五周岁的为10年，二十六周岁至四十五周岁的为20年，四十六周岁以上的为长期。"
            "行动不便的老年人、残疾人可电话预约上门采集。异地换领的制证时间可能稍长。",
            "You can apply in the three months before the card expires, and keep using the old card "
            "until you collect the new one. Validity of the new card: 10 years for ages 16 to 25, "
            "20 years for ages 26 to 45, and long-term from age 46. Elderly or disabled people with "
            "limited mobility can phone to arrange a home visit. Out-of-area renewals may take "
            "somewhat longer.",
        ),
        "materials": [
            {
                "name": ("原居民身份证", "Current resident ID card"),
                "note": ("原件；领取新证时交回", "Original; handed in when you collect the new card"),
                "required": True,
            },
            {
                "name": ("居民户口簿", "Household register (hukou booklet)"),
                "note": (
                    "登记项目有变更的，请携带原件",
                    "Bring the original if any registered details have changed",
                ),
                "required": False,
            },
            _PHOTO,
        ],
    },
    "id-card-lost": {
        "prefix": "C",
        "average_handling_minutes": 10,
        "time_limit_days": 60,
        "bookable": True,
        "by_post": True,
        "home_visit": True,
        "name": ("居民身份证补领", "Resident ID card: replacement after loss"),
        "summary": ("居民身份证丢失的，申请补领新证。", "Apply for a new card when your ID card is lost."),
        "eligibility": (
            "居民身份证丢失的公民。外省市户籍人员可在本大厅办理异地补领。",
            "Citizens who have lost their ID card. People registered in other provinces or cities "
            "can apply here as an out-of-area application.",
        ),
        "fees": ("工本费40元。", "Card fee 40 yuan."),
        "time_limit": _ID_CARD_TIME_LIMIT,
        "steps": [
            ("取号或凭预约码签到。", "Take a ticket or check in with your booking code."),
            (
                "提交居民户口簿或其他身份证件，民警核验身份。",
                "Hand in the household register or another identity document; "
                "the officer verifies your identity.",
            ),
            ("现场拍摄证件照片，采集指纹。", "Have your ID photo taken and your fingerprints recorded."),
            (
                "缴纳工本费，领取受理回执；受理后原证件即作废。",
                "Pay the card fee and take the acceptance receipt; "
                "the lost card becomes invalid once the application is accepted.",
            ),
            (
                "凭回执领取新证，或选择邮寄送达。",
                "Collect the new card with the receipt, or choose delivery by post.",
            ),
        ],
        "notes": (
            "发现身份证丢失后请尽快申请补领，以免被他人冒用。急需用证的，可同时申领临时居民身份证（工本费10元）。"
            "找回原证件的，请交回公安机关，不得继续使用。",
            "Apply as soon as you find the card is lost, so that nobody else can misuse it. If you "
            "need an ID card urgently you can also apply for a temporary ID card (fee 10 yuan). "
            "If you find the old card, hand it in to the police; it must not be used again.",
        ),
        "materials": [
            {
                "name": ("居民户口簿", "Household register (hukou booklet)"),
                "note": ("原件", "Original"),
                "required": True,
            },
            {
                "name": ("其他有效身份证件", "Another valid identity document"),
                "note": (
                    "如护照、机动车驾驶证，用于协助核验身份；异地补领未带户口簿的请携带",
                    "For example a passport or driving licence, to help verify your identity; "
                    "bring one if you apply out of area without your household register",
                ),
                "required": False,
            },
            _PHOTO,
        ],
    },
    "temp-id-card": {
        "prefix": "D",
        "average_handling_minutes": 5,
        "time_limit_days": 3,
        "bookable": False,
        "by_post": False,
        "home_visit": False,
        "name": ("临时居民身份证", "Temporary resident ID card"),
        "summary": (
            "正在申领、换领或补领居民身份证期间急需用证的，可申领临时居民身份证。",
            "If you need an ID card urgently while your application, renewal or replacement is "
            "being processed, you can apply for a temporary ID card.",
        ),
        "eligibility": (
            "已受理居民身份证申领、换领或补领，在领取新证前急需使用身份证（如乘坐交通工具、办理金融业务、参加考试）的公民。",
            "Citizens whose ID card application, renewal or replacement has been accepted and who "
            "urgently need an ID card before the new card is ready (for example to travel, for "
            "banking or to sit an exam).",
        ),
        "fees": ("工本费10元。", "Card fee 10 yuan."),
        "time_limit": (
            "自受理之日起3日内发放；材料齐全的，本大厅一般当场制发。",
            "Issued within 3 days of acceptance; with complete documents this hall usually issues it "
            "on the spot.",
        ),
        "steps": [
            (
                "取号，无需预约；急需用证的请向引导台说明，可走绿色通道。",
                "Take a ticket; no booking is needed. If the need is urgent, tell the reception desk "
                "and you can use the green channel.",
            ),
            (
                "出示居民身份证受理回执和居民户口簿，民警核验身份。",
                "Show the ID card acceptance receipt and the household register; "
                "the officer verifies your identity.",
            ),
            ("现场拍摄照片。", "Have your photo taken."),
            (
                "缴纳工本费，当场领取临时居民身份证。",
                "Pay the card fee and receive the temporary ID card on the spot.",
            ),
        ],
        "notes": (
            "临时居民身份证有效期为三个月，自签发之日起计算。领取正式居民身份证时，应当交回临时居民身份证。",
            "A temporary ID card is valid for three months from the date of issue. "
            "Hand it in when you collect your resident ID card.",
        ),
        "materials": [
            {
                "name": ("居民身份证受理回执", "ID card acceptance receipt"),
                "note": (
                    "申领、换领或补领居民身份证时领取的回执",
                    "The receipt you were given when you applied for, renewed or replaced your ID card",
                ),
                "required": True,
            },
            {
                "name": ("居民户口簿", "Household register (hukou booklet)"),
                "note": ("原件", "Original"),
                "required": True,
            },
            _PHOTO,
        ],
    },
    "hukou-certificate": {
        "prefix": "E",
        "average_handling_minutes": 5,
        "bookable": True,
        "by_post": True,
        "home_visit": True,
        "name": ("户籍证明", "Household registration certificate"),
        "summary": (
            "出具户籍登记信息证明，如户口注销、迁移、曾用名、公民身份号码变更等情况。",
            "A certificate of registered household details, such as a cancelled or moved registration, "
            "a former name or a changed citizen ID number.",
        ),
        "eligibility": (
            "本县户籍人员或原户籍人员本人；委托他人办理的，须出具书面委托书。",
            "People registered, or formerly registered, in this county, in person; someone acting "
            "on their behalf must bring a written authorisation.",
        ),
        "fees": _FREE,
        "time_limit": (
            "材料齐全的当场出具；需调阅历史户籍档案核查的，5个工作日内出具。",
            "Issued on the spot when documents are complete; within 5 working days if old "
            "registration archives have to be checked.",
        ),
        "steps": [
            ("取号或凭预约码签到。", "Take a ticket or check in with your booking code."),
            (
                "说明证明用途，提交身份证件和相关材料。",
                "Explain what the certificate is for and hand in your identity document "
                "and supporting documents.",
            ),
            ("民警查询核实户籍档案信息。", "The officer looks up and checks the registration records."),
            (
                "当场出具加盖户口专用章的户籍证明。",
                "The certificate, stamped with the household registration seal, is issued on the spot.",
            ),
        ],
        "notes": (
            "户口簿、居民身份证能够证明的事项（如姓名、出生日期、户内亲属关系）不再另行开具证明。"
            "证明内容仅限户籍档案中已登记的信息。",
            "Facts that the household register or ID card already show (such as name, date of birth "
            "or family relationships within the household) are not certified separately. "
            "A certificate can only state what the registration records contain.",
        ),
        "materials": [
            {
                "name": ("申请人居民身份证", "Applicant's resident ID card"),
                "note": ("原件", "Original"),
                "required": True,
            },
            {
                "name": ("居民户口簿", "Household register (hukou booklet)"),
                "note": ("能提供的请携带原件", "Bring the original if you can"),
                "required": False,
            },
            {
                "name": ("证明事项相关材料", "Documents about the matter to be certified"),
                "note": (
                    "如用证单位的书面说明、原户籍资料等",
                    "For example a written request from the organisation that needs the certificate, "
                    "or earlier registration papers",
                ),
                "required": False,
            },
            {
                "name": (
                    "委托书及受托人居民身份证",
                    "Written authorisation and the agent's resident ID card",
                ),
                "note": ("委托他人办理时提供", "Needed when someone applies on your behalf"),
                "required": False,
            },
        ],
    },
    "move-in": {
        "prefix": "F",
        "average_handling_minutes": 15,
        "bookable": True,
        "by_post": False,
        "home_visit": False,
        "name": ("户口迁入（凭准迁证）", "Moving household registration in (with a move-in permit)"),
        "summary": (
            "持《准予迁入证明》（准迁证）办理户口迁入本县的落户登记。",
            "Register your household in this county with a Certificate of Approval to Move In "
            "(move-in permit).",
        ),
        "eligibility": (
            "已取得本县公安机关签发的《准予迁入证明》的人员，如投靠亲属、购房落户、人才引进、大中专毕业生回原籍等。",
            "People holding a Certificate of Approval to Move In issued by this county's public "
            "security bureau, for example to join relatives, after buying a home, as recruited "
            "talent, or as graduates returning to their place of origin.",
        ),
        "fees": (
            "免费（同时换领居民身份证的，按规定收取工本费）。",
            "Free of charge (the card fee applies if you renew your ID card at the same time).",
        ),
        "time_limit": (
            "材料齐全的当场办理落户；跨省“一站式”迁移需迁出地网上协同的，迁出地办结后通知办理。",
            "Registered on the spot when documents are complete; for an inter-provincial one-stop move "
            "that needs the former place's online confirmation, you are notified once it has replied.",
        ),
        "steps": [
            ("取号或凭预约码签到。", "Take a ticket or check in with your booking code."),
            (
                "提交准予迁入证明、户口迁移证（一站式迁移的无需提交）和身份证件。",
                "Hand in the move-in permit, the household migration certificate (not needed for a "
                "one-stop move) and your identity documents.",
            ),
            (
                "民警审核材料，核对迁出地迁移信息。",
                "The officer checks the documents and the migration record from your former place.",
            ),
            (
                "办理落户登记，签发户口簿或增加常住人口登记卡。",
                "Your registration is entered, and a household register is issued or a resident "
                "registration page is added.",
            ),
            (
                "登记项目有变化的，可同时申请换领居民身份证。",
                "If your registered details have changed, you can apply for a new ID card at the same time.",
            ),
        ],
        "notes": (
            "请在准予迁入证明、户口迁移证注明的有效期内办理，逾期需重新申请。"
            "迁入集体户的，须由集体户口管理单位出具同意接收的证明。",
            "Register within the validity period printed on the move-in permit and the migration "
            "certificate; after it ends you must apply again. To join a collective household, bring "
            "the managing organisation's written consent.",
        ),
        "materials": [
            {
                "name": ("准予迁入证明（准迁证）", "Certificate of Approval to Move In (move-in permit)"),
                "note": ("原件", "Original"),
                "required": True,
            },
            {
                "name": ("户口迁移证", "Household migration certificate"),
                "note": (
                    "原件；跨省一站式迁移的无需提交",
                    "Original; not needed for an inter-provincial one-stop move",
                ),
                "required": False,
            },
            {
                "name": ("迁移人员居民身份证", "Resident ID card of each person moving"),
                "note": ("原件", "Original"),
                "required": True,
            },
            {
                "name": ("迁入地居民户口簿", "Household register of the receiving household"),
                "note": (
                    "迁入家庭户的，提供户主的户口簿原件",
                    "Original of the head of household's register, when joining a family household",
                ),
                "required": False,
            },
            {
                "name": ("集体户同意接收证明", "Consent of the collective household"),
                "note": ("迁入集体户时提供", "Needed when joining a collective household"),
                "required": False,
            },
        ],
    },
    "move-out": {
        "prefix": "G",
        "average_handling_minutes": 10,
        "bookable": True,
        "by_post": False,
        "home_visit": False,
        "name": ("户口迁出", "Moving household registration out"),
        "summary": (
            "凭迁入地公安机关签发的准迁证，办理户口迁出并开具户口迁移证。",
            "Move your registration out of this county with the move-in permit issued by your new "
            "place, and receive a household migration certificate.",
        ),
        "eligibility": (
            "本县户籍人员，已取得迁入地公安机关签发的《准予迁入证明》，且迁入地尚未实行“一站式”迁移的。",
            "People registered in this county who hold a Certificate of Approval to Move In issued by "
            "the public security authority of their new place, where that place does not yet offer "
            "one-stop moves.",
        ),
        "fees": _FREE,
        "time_limit": ("材料齐全的当场办结。", "Completed on the spot when documents are complete."),
        "steps": [
            ("取号或凭预约码签到。", "Take a ticket or check in with your booking code."),
            (
                "提交准予迁入证明、居民户口簿和居民身份证。",
                "Hand in the move-in permit, the household register and your ID card.",
            ),
            (
                "民警审核材料，核对迁出人员户籍信息。",
                "The officer checks the documents and your registration.",
            ),
            (
                "注销本县户口，签发户口迁移证，在户口簿上加盖迁出章。",
                "Your registration here is closed, a household migration certificate is issued and "
                "the household register is stamped as moved out.",
            ),
            (
                "凭户口迁移证在有效期内到迁入地办理落户。",
                "Register at your new place with the migration certificate within its validity period.",
            ),
        ],
        "notes": (
            "迁入地已实行跨省“一站式”迁移的，可直接在迁入地办理，无需回本县开具迁移证。"
            "户口迁出后，原居民身份证在有效期内可以继续使用。",
            "If your new place offers inter-provincial one-stop moves, apply there directly; there "
            "is no need to come back for a migration certificate. Your ID card remains valid after "
            "the move until it expires.",
        ),
        "materials": [
            {
                "name": ("准予迁入证明（准迁证）", "Certificate of Approval to Move In (move-in permit)"),
                "note": (
                    "迁入地公安机关签发，原件",
                    "Original, issued by the new place's public security authority",
                ),
                "required": True,
            },
            {
                "name": ("居民户口簿", "Household register (hukou booklet)"),
                "note": ("原件", "Original"),
                "required": True,
            },
            {
                "name": ("迁出人员居民身份证", "Resident ID card of each person moving out"),
                "note": ("原件", "Original"),
                "required": True,
            },
            {
                "name": (
                    "委托书及受托人居民身份证",
                    "Written authorisation and the agent's resident ID card",
                ),
                "note": ("委托他人办理时提供", "Needed when someone applies on your behalf"),
                "required": False,
            },
        ],
    },
    "newborn": {
        "prefix": "H",
        "average_handling_minutes": 10,
        "bookable": True,
        "by_post": False,
        "home_visit": False,
        "name": ("新生儿落户", "Newborn registration"),
        "summary": (
            "为新生儿申报出生登记，办理落户。",
            "Register a newborn child's birth and household registration.",
        ),
        "eligibility": (
            "父母一方为本县户籍的新生儿，可自愿随父或随母落户，由父母或其他监护人申报。",
            "Newborns with at least one parent registered in this county; the child may be registered "
            "with either the father or the mother, as the parents choose. Parents or other guardians apply.",
        ),
        "fees": _FREE,
        "time_limit": ("材料齐全的当场办结。", "Completed on the spot when documents are complete."),
        "steps": [
            ("取号或凭预约码签到。", "Take a ticket or check in with your booking code."),
            (
                "提交出生医学证明、父母户口簿、居民身份证和结婚证。",
                "Hand in the medical birth certificate, the parents' household registers, "
                "ID cards and marriage certificate.",
            ),
            (
                "民警审核材料，核对新生儿姓名、出生日期等信息。",
                "The officer checks the documents and the child's name, date of birth and other details.",
            ),
            (
                "办理出生登记，在户口簿上增加新生儿的常住人口登记卡。",
                "The birth is registered and a resident registration page for the child is added "
                "to the household register.",
            ),
            (
                "需要的，可同时为新生儿申领居民身份证。",
                "If you wish, you can apply for the child's ID card at the same time.",
            ),
        ],
        "notes": (
            "请在婴儿出生后一个月内申报出生登记（《户口登记条例》第七条）；超过一个月的仍可办理，须说明原因。"
            "非婚生育、在境外出生等情形需提供其他材料，请先电话咨询。",
            "Please register within one month of birth (Regulations on Household Registration, "
            "Article 7); later registration is still possible with an explanation of the delay. "
            "Children born outside marriage or abroad need other documents; please phone first.",
        ),
        "materials": [
            {
                "name": ("出生医学证明", "Medical birth certificate"),
                "note": ("原件", "Original"),
                "required": True,
            },
            {
                "name": ("父母双方居民户口簿", "Both parents' household registers"),
                "note": (
                    "落户一方的户口簿原件；另一方的户口簿或户籍证明",
                    "Original register of the parent the child joins; the other parent's register "
                    "or household registration certificate",
                ),
                "required": True,
            },
            {
                "name": ("父母双方居民身份证", "Both parents' resident ID cards"),
                "note": ("原件", "Original"),
                "required": True,
            },
            {
                "name": ("父母结婚证", "Parents' marriage certificate"),
                "note": (
                    "原件；非婚生育的请先咨询所需材料",
                    "Original; if the parents are not married, please ask which documents are needed",
                ),
                "required": True,
            },
        ],
    },
    "death-cancellation": {
        "prefix": "J",  # I is skipped: on the display it reads like 1
        "average_handling_minutes": 8,
        "bookable": False,
        "by_post": False,
        "home_visit": False,
        "name": ("死亡注销户口", "Cancelling registration after a death"),
        "summary": (
            "公民死亡后，由亲属等申报死亡登记，注销户口。",
            "After a death, a relative or other person reports it and the registration is cancelled.",
        ),
        "eligibility": (
            "死者的户主、亲属、抚养人或者邻居，向死者户籍所在地公安机关申报。",
            "The head of household, a relative, a carer or a neighbour of the deceased, at the public "
            "security authority where the deceased was registered.",
        ),
        "fees": _FREE,
        "time_limit": ("材料齐全的当场办结。", "Completed on the spot when documents are complete."),
        "steps": [
            (
                "取号，无需预约；急需户口注销证明办理火化等事项的，可走绿色通道。",
                "Take a ticket; no booking is needed. If you urgently need the cancellation certificate, "
                "for example for a cremation, use the green channel.",
            ),
            (
                "提交死亡医学证明、户口簿、死者居民身份证和经办人身份证。",
                "Hand in the medical death certificate, the household register, the deceased's ID card "
                "and your own ID card.",
            ),
            ("民警核对死者户籍信息。", "The officer checks the registration of the deceased."),
            (
                "注销户口，在户口簿上加盖注销章，收回死者居民身份证。",
                "The registration is cancelled, the household register is stamped and the deceased's "
                "ID card is retained.",
            ),
            (
                "需要的，当场出具户口注销证明。",
                "If needed, a cancellation certificate is issued on the spot.",
            ),
        ],
        "notes": (
            "依照《户口登记条例》第八条，公民死亡的，城市在葬前、农村在一个月以内申报死亡登记。"
            "死者居民身份证无法交回的，请书面说明原因。非正常死亡的凭公安机关出具的死亡证明办理，"
            "宣告死亡的凭人民法院判决书办理。",
            "Under Article 8 of the Regulations on Household Registration, a death must be reported "
            "before the burial in towns and within one month in the countryside. If the deceased's "
            "ID card cannot be handed in, explain why in writing. For an unnatural death bring the "
            "death certificate issued by the police; for a declaration of death bring the court judgment.",
        ),
        "materials": [
            {
                "name": ("死亡医学证明", "Medical death certificate"),
                "note": (
                    "医疗机构出具的原件；非正常死亡提供公安机关死亡证明，宣告死亡提供法院判决书",
                    "Original issued by the medical institution; for an unnatural death the police death "
                    "certificate, for a declaration of death the court judgment",
                ),
                "required": True,
            },
            {
                "name": ("居民户口簿", "Household register (hukou booklet)"),
                "note": ("死者所在户的户口簿原件", "Original register of the deceased's household"),
                "required": True,
            },
            {
                "name": ("死者居民身份证", "Resident ID card of the deceased"),
                "note": ("无法交回的，书面说明原因", "If it cannot be handed in, explain why in writing"),
                "required": True,
            },
            {
                "name": ("经办人居民身份证", "Resident ID card of the person reporting"),
                "note": ("原件", "Original"),
                "required": True,
            },
        ],
    },
    "record-correction": {
        "prefix": "K",
        "average_handling_minutes": 15,
        "bookable": True,
        "by_post": False,
        "home_visit": False,
        "name": ("户口登记项目变更更正", "Change or correction of registered details"),
        "summary": (
            "变更或更正户口登记中的姓名、性别、民族、出生日期、文化程度、婚姻状况、服务处所等项目。",
            "Change or correct registered details such as name, sex, ethnic group, date of birth, "
            "education, marital status or workplace.",
        ),
        "eligibility": (
            "本县户籍人员，户口登记项目发生变化或登记有误的；未成年人由监护人申请。",
            "People registered in this county whose registered details have changed or are wrong; "
            "for minors a guardian applies.",
        ),
        "fees": (
            "免费。涉及居民身份证登记项目需换领新证的，按规定收取工本费20元。",
            "Free of charge. If the change affects your ID card and you need a new one, "
            "the card fee of 20 yuan applies.",
        ),
        "time_limit": (
            "文化程度、婚姻状况、服务处所等一般项目当场办结；姓名、出生日期、民族等重要项目须调查核实并报批，"
            "一般在20个工作日内办结。",
            "Ordinary items (education, marital status, workplace) on the spot; important items "
            "(name, date of birth, ethnic group) after investigation and approval, usually within "
            "20 working days.",
        ),
        "steps": [
            ("取号或凭预约码签到。", "Take a ticket or check in with your booking code."),
            (
                "填写《户口登记项目变更更正申请表》，提交身份证件和变更更正依据。",
                "Fill in the application form for changing or correcting registered details and hand "
                "in your identity documents and the supporting evidence.",
            ),
            (
                "民警审核；重要项目经调查核实后报上级审批。",
                "The officer checks the application; important items are investigated and sent for approval.",
            ),
            ("在户口簿上变更或更正登记项目。", "The item is changed or corrected in the household register."),
            (
                "涉及居民身份证信息的，同时申请换领居民身份证。",
                "If the change affects your ID card, apply for a new card at the same time.",
            ),
        ],
        "notes": (
            "更正出生日期、民族等须以原始户籍档案或出生医学证明等原始依据为准。"
            "未成年人变更姓名须由父母双方共同申请；成年人变更姓名有严格条件，请先电话咨询。",
            "Corrections of date of birth, ethnic group and similar items must rest on original "
            "evidence such as the original registration archive or the medical birth certificate. "
            "A minor's change of name needs an application by both parents; adults can change their "
            "name only under strict conditions, so please phone first.",
        ),
        "materials": [
            {
                "name": ("申请人居民身份证", "Applicant's resident ID card"),
                "note": ("原件", "Original"),
                "required": True,
            },
            {
                "name": ("居民户口簿", "Household register (hukou booklet)"),
                "note": ("原件", "Original"),
                "required": True,
            },
            {
                "name": ("变更更正依据", "Evidence for the change or correction"),
                "note": (
                    "如出生医学证明、学历证书、结婚证或离婚证、原始档案等",
                    "For example the medical birth certificate, a diploma, a marriage or divorce "
                    "certificate, or original archives",
                ),
                "required": True,
            },
            {
                "name": ("户口登记项目变更更正申请表", "Application form for changing or correcting details"),
                "note": ("在窗口领取并现场填写", "Available at the window and filled in there"),
                "required": True,
            },
        ],
    },
    "residence-permit": {
        "prefix": "L",
        "average_handling_minutes": 10,
        "time_limit_days": 15,
        "bookable": True,
        "by_post": True,
        "home_visit": False,
        "name": ("居住证申领", "Residence permit"),
        "summary": (
            "离开户籍地到本县居住半年以上，符合条件之一的，可以申领居住证。",
            "People who have lived in this county for at least half a year away from their place of "
            "registration, and meet one of the conditions, can apply for a residence permit.",
        ),
        "eligibility": (
            "离开常住户口所在地，到本县居住半年以上，并符合下列条件之一的公民：有合法稳定就业、有合法稳定住所、连续就读。",
            "Citizens who have left the place of their permanent registration and lived in this county "
            "for at least half a year, and who meet one of these conditions: lawful stable employment, "
            "a lawful stable residence, or continuous schooling.",
        ),
        "fees": (
            "首次申领免费；换领、补领工本费20元。",
            "First issue free of charge; renewal or replacement: card fee 20 yuan.",
        ),
        "time_limit": (
            "自受理之日起15日内制作发放（《居住证暂行条例》）。",
            "Issued within 15 days of acceptance (Interim Regulations on Residence Permits).",
        ),
        "steps": [
            ("取号或凭预约码签到。", "Take a ticket or check in with your booking code."),
            (
                "提交居民身份证、居住登记凭证，以及就业、住所或就读证明材料之一。",
                "Hand in your ID card, your residence registration record, and proof of employment, "
                "residence or schooling.",
            ),
            ("现场拍摄照片，采集信息。", "Have your photo taken and your details recorded."),
            (
                "民警审核，领取受理回执。",
                "The officer checks the application and you take the acceptance receipt.",
            ),
            (
                "凭回执领取居住证，或选择邮寄送达。",
                "Collect the permit with the receipt, or choose delivery by post.",
            ),
        ],
        "notes": (
            "须先在本县办理居住登记满半年。居住证持有人应在居住每满一年之日前一个月内办理签注；"
            "逾期未签注的，居住证使用功能中止，补办签注后恢复。",
            "You must have been registered as a resident in this county for half a year first. "
            "Holders must have the permit endorsed in the month before each full year of residence; "
            "without the endorsement the permit stops working until it is endorsed.",
        ),
        "materials": [
            {
                "name": ("居民身份证", "Resident ID card"),
                "note": ("原件", "Original"),
                "required": True,
            },
            {
                "name": ("居住登记凭证", "Residence registration record"),
                "note": (
                    "证明已在本县登记居住半年以上",
                    "Shows that you have been registered as living in this county for at least half a year",
                ),
                "required": True,
            },
            {
                "name": ("合法稳定就业证明", "Proof of lawful stable employment"),
                "note": (
                    "劳动合同、营业执照或社会保险缴费证明等；就业、住所、就读三项提供其一即可",
                    "Employment contract, business licence or social insurance records; "
                    "proof of one of employment, residence or schooling is enough",
                ),
                "required": False,
            },
            {
                "name": ("合法稳定住所证明", "Proof of a lawful stable residence"),
                "note": (
                    "房屋产权证明或已登记备案的房屋租赁合同",
                    "Property ownership certificate or a registered tenancy agreement",
                ),
                "required": False,
            },
            {
                "name": ("连续就读证明", "Proof of continuous schooling"),
                "note": ("学校出具的在读证明", "Certificate of enrolment from the school"),
                "required": False,
            },
            _PHOTO,
        ],
    },
    # Pickup of finished documents (领证): a quick service of its own in the queue; the clerk finds the
    # document on the staff's pickup page (postal app) and marks it collected.
    "pickup": {
        "prefix": "M",
        "average_handling_minutes": 3,
        "bookable": False,
        "by_post": False,
        "home_visit": False,
        "name": ("证件领取", "Document pickup"),
        "summary": (
            "领取已制作完成的居民身份证、居住证等证件。收到领证短信后，取号即可，无需预约。",
            "Collect a finished ID card, residence permit or other document. When the text message says "
            "it is ready, take a ticket; no booking is needed.",
        ),
        "eligibility": (
            "证件已制作完成的申请人本人，或持申请人和本人身份证件的代领人。",
            "The applicant whose document is ready, or someone collecting for them with both "
            "people's identity documents.",
        ),
        "fees": _FREE,
        "time_limit": ("当场领取。", "Handed over on the spot."),
        "steps": [
            ("在取号机选择“证件领取”取号。", "Choose “Document pickup” at the kiosk and take a ticket."),
            (
                "到窗口出示受理回执或领证码，民警核验身份。",
                "At the window, show the acceptance receipt or the pickup code; the officer checks "
                "your identity.",
            ),
            ("核对证件信息，签字领取。", "Check the details on the document and sign for it."),
        ],
        "notes": (
            "不方便来大厅的，可点击领证短信中的链接申请邮寄（居民身份证、居住证）。",
            "If you cannot come, use the link in the text message to have the document posted "
            "(ID cards and residence permits).",
        ),
        "materials": [
            {
                "name": ("受理回执", "Acceptance receipt"),
                "note": (
                    "办理时领取的回执；遗失的请出示领证码",
                    "The receipt from your application; if it is lost, show the pickup code",
                ),
                "required": True,
            },
            {
                "name": ("居民户口簿或其他身份证件", "Household register or another identity document"),
                "note": ("原件，用于核验身份", "Original, to check your identity"),
                "required": True,
            },
            {
                "name": ("代领人居民身份证", "ID card of the person collecting"),
                "note": ("他人代领时携带", "When someone collects for you"),
                "required": False,
            },
        ],
    },
}

ID_CARD_SERVICES = ["id-card-first", "id-card-renewal", "id-card-lost", "temp-id-card"]
HUKOU_SERVICES = [
    "hukou-certificate",
    "move-in",
    "move-out",
    "newborn",
    "death-cancellation",
    "record-correction",
]
ALL_SERVICES = list(SERVICES)

# ---------------------------------------------------------------------------------------------
# Hours: (weekday Monday=0, start, end, kind)
# ---------------------------------------------------------------------------------------------

_T = dt.time
WORKDAYS = range(5)
TUESDAY, THURSDAY, SATURDAY = 1, 3, 5

QINGSHUI_HOURS = (
    [(day, _T(8, 30), _T(12, 0), "regular") for day in WORKDAYS]
    + [(day, _T(13, 30), _T(17, 30), "regular") for day in WORKDAYS]
    + [(day, _T(17, 30), _T(19, 30), "extended") for day in (TUESDAY, THURSDAY)]
    + [(SATURDAY, _T(9, 0), _T(12, 0), "weekend_duty")]
)

XIQIAO_HOURS = [(day, _T(8, 30), _T(12, 0), "regular") for day in WORKDAYS] + [
    (day, _T(14, 0), _T(17, 30), "regular") for day in WORKDAYS
]

# ---------------------------------------------------------------------------------------------
# Halls. Telephone numbers use the area code 0123, which no Chinese city has: they look real
# but reach nobody.
# ---------------------------------------------------------------------------------------------

HALLS = [
    {
        "slug": "wangchuan",
        "name": (
            "望川县公安局户政服务大厅",
            "Wangchuan County Public Security Bureau Household Registration Hall",
        ),
        "address": (
            "望川县城关镇人民路88号县政务服务中心一楼",
            "1st floor, County Government Service Centre, 88 Renmin Road, Chengguan Town, Wangchuan County",
        ),
        "consultation_phone": "0123-8800 1234",
        "supervision_phone": "0123-8800 1110",
        "timezone": "Asia/Shanghai",
        "max_waiting_inside": 30,
        "seat_rows": 4,
        "seats_per_row": 8,
        "seats_out_of_use": ["1-1", "4-8"],
        "notice": (
            "请携带所需材料的原件前来办理，复印件不能代替原件。"
            "七十周岁以上老年人、残疾人、孕妇及急需用证的群众可走绿色通道，请向引导台说明。"
            "大厅内请按号就座，保持安全距离。",
            "Please bring the originals of the required documents; copies cannot replace them. "
            "People aged 70 or over, people with disabilities, pregnant women and anyone who urgently "
            "needs a document can use the green channel: please tell the reception desk. "
            "Inside the hall, please sit in the seat shown on your ticket and keep a safe distance.",
        ),
        "services": ALL_SERVICES,
        "counters": [
            {
                "number": 1,
                "label": ("居民身份证、居住证", "ID cards and residence permits"),
                "services": [*ID_CARD_SERVICES, "residence-permit", "pickup"],
            },
            {
                "number": 2,
                "label": ("居民身份证、居住证", "ID cards and residence permits"),
                "services": [*ID_CARD_SERVICES, "residence-permit", "pickup"],
            },
            {
                "number": 3,
                "label": ("户口迁移、登记与证明", "Household moves, registration and certificates"),
                "services": HUKOU_SERVICES,
            },
            {
                "number": 4,
                "label": ("综合窗口（绿色通道）", "Comprehensive window (green channel)"),
                "services": ALL_SERVICES,
            },
            {  # 网上户籍室: video appointments for those who need not come (issue 22)
                "number": 5,
                "label": ("网上户籍室", "Online room"),
                "services": ["hukou-certificate"],
                "kind": "online_room",
            },
        ],
        "video": {
            "hukou-certificate": {
                "needs": [
                    ("居民身份证原件（向镜头出示）", "Your resident ID card (to hold up to the camera)"),
                    ("证明用途的相关材料", "What the certificate is for (e.g. your employer's request)"),
                    ("收件地址（证明免费邮寄）", "A postal address: the certificate is posted for free"),
                ],
                "questions": [
                    ("请说出您的户籍地址。", "Please say your registered household address."),
                    ("证明用于什么用途？", "What is the certificate for?"),
                ],
            },
        },
        "hours": QINGSHUI_HOURS,
    },
    {
        "slug": "liuwan",
        "name": ("柳湾派出所户政窗口", "Liuwan Police Station Household Registration Window"),
        "address": (
            "望川县柳湾镇湾西街16号柳湾派出所一楼",
            "1st floor, Liuwan Police Station, 16 Wanxi Street, Liuwan Town, Wangchuan County",
        ),
        "consultation_phone": "0123-8800 5678",
        "supervision_phone": "0123-8800 1110",
        "timezone": "Asia/Shanghai",
        "max_waiting_inside": 12,
        "seat_rows": 2,
        "seats_per_row": 6,
        "seats_out_of_use": [],
        "notice": (
            "本窗口办理居民身份证和常用户籍业务；户口迁移、居住证等业务请到县户政服务大厅办理。"
            "请携带所需材料的原件。",
            "This window handles ID cards and common registration matters; for household moves, "
            "residence permits and other matters please go to the county household registration hall. "
            "Please bring the originals of the required documents.",
        ),
        "services": [*ID_CARD_SERVICES, "hukou-certificate", "newborn", "death-cancellation", "pickup"],
        "counters": [
            {
                "number": 1,
                "label": ("居民身份证", "ID cards"),
                "services": [*ID_CARD_SERVICES, "pickup"],
            },
            {
                "number": 2,
                "label": ("综合窗口", "Comprehensive window"),
                "services": [
                    *ID_CARD_SERVICES,
                    "hukou-certificate",
                    "newborn",
                    "death-cancellation",
                    "pickup",
                ],
            },
        ],
        "hours": XIQIAO_HOURS,
    },
]

# ---------------------------------------------------------------------------------------------
# Accounts. role: "admin" (superuser, no hall) or a hall.models.StaffRole value.
# ---------------------------------------------------------------------------------------------

ACCOUNTS = [
    {"username": "admin", "name": "系统管理员", "role": "admin", "hall": None},
    {"username": "wc_supervisor", "name": "周敏", "role": "supervisor", "hall": "wangchuan"},
    {"username": "wc_clerk1", "name": "陈晓燕", "role": "clerk", "hall": "wangchuan"},
    {"username": "wc_clerk2", "name": "王磊", "role": "clerk", "hall": "wangchuan"},
    {"username": "wc_clerk3", "name": "刘芳", "role": "clerk", "hall": "wangchuan"},
    {"username": "wc_clerk4", "name": "张建国", "role": "clerk", "hall": "wangchuan"},
    {"username": "lw_clerk1", "name": "赵丽", "role": "clerk", "hall": "liuwan"},
]

# ---------------------------------------------------------------------------------------------
# Notices (公告). Found again by hall and Chinese title; valid from the day of the first seeding for
# `days` days (a later run keeps the dates, so it changes nothing).
# ---------------------------------------------------------------------------------------------

NOTICES = [
    {
        "hall": "wangchuan",
        "title": (
            "疫情防控期间准迁证、迁移证有效期顺延六个月",
            "Move-in permits and migration certificates valid six months longer during the emergency",
        ),
        "body": (
            "疫情防控期间到期的《准予迁入证明》和《户口迁移证》，有效期自动顺延六个月，"
            "群众可在顺延期内持原证件办理，无需重新申请。如有疑问，请拨打咨询电话。",
            "Move-in permits (准予迁入证明) and migration certificates (户口迁移证) that expire during the "
            "emergency stay valid for six more months: bring the original certificate within that time, "
            "no new application is needed. Questions: please call the consultation line.",
        ),
        "services": ["move-in", "move-out"],
        "days": 180,
    },
]


# The screens of each demo hall (kind, name, place); seed_demo prints one-time pairing links for them outside
# production.
SCREENS = [
    ("kiosk", "取号机 1", "大门右侧"),
    ("board", "大厅大屏", "等候区"),
    ("counter_display", "1号窗口屏", "1号窗口上方"),
]
