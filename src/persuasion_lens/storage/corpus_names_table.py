"""The people and places a corpus shows under one name whatever the language or script it was
written in (data only; `storage.corpus_names` reads it).

Each entry is {shown name (English): spellings}. A spelling is a name as written, in its
dictionary form: `corpus_names` adds the case endings of Russian, Bulgarian, Ukrainian and Polish
and the German genitive -s, ignores case, accents and hyphens, and drops the titles of
`TITLES` written before a name ("Präsident Wladimir Putin", "राष्ट्रपति जेलेंस्की"). A name
alone that also names other people ("Johnson", "Kim") is not listed; countries, NATO, the EU
and the West are already one name in every language (`models.entity_text.ALIASES`).
"""

from __future__ import annotations

PEOPLE: dict[str, tuple[str, ...]] = {
    "Vladimir Putin": (
        "Putin", "Vladimir Putin", "Vladimir Vladimirovich Putin", "Wladimir Putin",
        "Władimir Putin", "Poutine", "Vladimir Poutine", "Vladimir Vladimirovitch Poutine",
        "Путин", "Владимир Путин", "Владимир Владимирович Путин", "Путін", "Володимир Путін",
        "पुतिन", "व्लादिमीर पुतिन", "पुटिन",
    ),
    "Volodymyr Zelensky": (
        "Zelensky", "Zelenskyy", "Zelenskiy", "Zelenski", "Zelenskyj", "Volodymyr Zelensky",
        "Volodymyr Zelenskyy", "Volodymyr Zelenskiy", "Volodimir Zelensky", "Vladimir Zelensky",
        "Selenskyj", "Selenskij", "Selensky", "Selenski", "Wolodymyr Selenskyj",
        "Wolodimir Selenskij", "Zełenski", "Wołodymyr Zełenski",
        "Зеленский", "Владимир Зеленский", "Зеленскто", "Владимир Зеленскто", "Зеленський",
        "Володимир Зеленський", "Зеленски", "Володимир Зеленски",
        "जेलेंस्की", "ज़ेलेंस्की", "जेलेन्स्की", "ज़ेलेन्स्की", "वोलोदिमिर जेलेंस्की",
        "वोलोदिमिर ज़ेलेंस्की",
    ),
    "Joe Biden": (
        "Biden", "Joe Biden", "Joseph Biden", "Joseph R Biden", "Joe R Biden", "Joego Biden",
        "Байден", "Джо Байден", "Байдън", "Джо Байдън", "बाइडेन", "बाइडन", "जो बाइडेन", "जो बाइडन",
    ),
    "Donald Trump": (
        "Trump", "Donald Trump", "Donald J Trump", "Трамп", "Дональд Трамп", "Тръмп",
        "Доналд Тръмп", "ट्रंप", "ट्रम्प", "डोनाल्ड ट्रंप", "डोनाल्ड ट्रम्प",
    ),
    "Olaf Scholz": (
        "Scholz", "Olaf Scholz", "Шольц", "Олаф Шольц", "Шолц", "Олаф Шолц", "शोल्ज़",
        "ओलाफ शोल्ज़", "ओलाफ़ शोल्ज़",
    ),
    "Emmanuel Macron": (
        "Macron", "Emmanuel Macron", "Макрон", "Эммануэль Макрон", "Еманюел Макрон",
        "मैक्रों", "मैक्रॉन", "इमैनुएल मैक्रों",
    ),
    "Sergey Lavrov": (
        "Lavrov", "Sergey Lavrov", "Sergei Lavrov", "Serguei Lavrov", "Sergueï Lavrov",
        "Lawrow", "Sergej Lawrow", "Ławrow", "Siergiej Ławrow",
        "Лавров", "Сергей Лавров", "Сергій Лавров", "लावरोव", "सर्गेई लावरोव",
    ),
    "Dmitry Medvedev": (
        "Medvedev", "Dmitry Medvedev", "Dmitri Medvedev", "Dmitriy Medvedev", "Medwedew",
        "Dmitri Medwedew", "Miedwiediew", "Dmitrij Miedwiediew",
        "Медведев", "Дмитрий Медведев", "Дмитро Медведєв", "Медведєв", "मेदवेदेव",
        "दिमित्री मेदवेदेव",
    ),
    "Dmitry Peskov": (
        "Peskov", "Dmitry Peskov", "Dmitri Peskov", "Dmitriy Peskov", "Peskow", "Dmitri Peskow",
        "Pieskow", "Dmitrij Pieskow", "Песков", "Дмитрий Песков", "Дмитро Пєсков", "Пєсков",
        "पेसकोव", "पेस्कोव", "दिमित्री पेसकोव",
    ),
    "Sergei Shoigu": (
        "Shoigu", "Sergei Shoigu", "Sergey Shoigu", "Schoigu", "Sergej Schoigu", "Szojgu",
        "Siergiej Szojgu", "Choïgou", "Sergueï Choïgou", "Шойгу", "Сергей Шойгу", "Сергій Шойгу",
        "शोइगु", "शोइगू",
    ),
    "Yevgeny Prigozhin": (
        "Prigozhin", "Yevgeny Prigozhin", "Yevgeniy Prigozhin", "Evgeny Prigozhin",
        "Prigoschin", "Jewgeni Prigoschin", "Prigożyn", "Jewgienij Prigożyn", "Prigojine",
        "Evgueni Prigojine", "Пригожин", "Евгений Пригожин", "Євген Пригожин",
        "प्रिगोझिन", "प्रिगोजिन", "येवगेनी प्रिगोझिन",
    ),
    "Alexander Lukashenko": (
        "Lukashenko", "Alexander Lukashenko", "Aleksandr Lukashenko", "Lukaschenko",
        "Alexander Lukaschenko", "Łukaszenka", "Aleksandr Łukaszenka", "Łukaszence",
        "Loukachenko", "Alexandre Loukachenko", "Лукашенко", "Александр Лукашенко",
        "Александър Лукашенко", "Олександр Лукашенко", "लुकाशेंको", "अलेक्जेंडर लुकाशेंको",
    ),
    "Jens Stoltenberg": (
        "Stoltenberg", "Jens Stoltenberg", "Столтенберг", "Йенс Столтенберг", "Єнс Столтенберг",
        "स्टोल्टेनबर्ग", "जेन्स स्टोल्टेनबर्ग",
    ),
    "Ursula von der Leyen": (
        "von der Leyen", "Ursula von der Leyen", "Leyen", "фон дер Ляйен", "Урсула фон дер Ляйен",
        "фон дер Лайен", "Урсула фон дер Лайен", "फॉन डेर लेयेन", "उर्सुला वॉन डेर लेयेन",
        "वॉन डेर लेयेन",
    ),
    "Kim Jong-un": (
        "Kim Jong-un", "Kim Jong Un", "Kim Dzong Un", "Ким Чен Ын", "Ким Чен Ун", "Кім Чен Ин",
        "किम जोंग उन",
    ),
    "Xi Jinping": (
        "Xi", "Xi Jinping", "Си Цзиньпин", "Си Цзинпин", "Си Дзинпин", "Сі Цзіньпін",
        "शी जिनपिंग",
    ),
    "Recep Tayyip Erdoğan": (
        "Erdoğan", "Erdogan", "Recep Tayyip Erdoğan", "Tayyip Erdoğan", "Эрдоган",
        "Реджеп Тайип Эрдоган", "Ердоган", "Реджеп Тайип Ердоган", "एर्दोगन", "एर्दोआन",
    ),
    "Viktor Orbán": (
        "Orbán", "Viktor Orbán", "Орбан", "Виктор Орбан", "Віктор Орбан", "ओरबान",
        "विक्टर ओरबान",
    ),
    "Alexei Navalny": (
        "Navalny", "Alexei Navalny", "Aleksei Navalny", "Alexey Navalny", "Alexeï Navalny",
        "Nawalny", "Alexej Nawalny", "Aleksiej Nawalny", "Навальный", "Алексей Навальный",
        "Навални", "Алексей Навални", "नवलनी", "एलेक्सी नवलनी",
    ),
    "Boris Johnson": (
        "Boris Johnson", "Борис Джонсон", "Борис Джонсън", "बोरिस जॉनसन",
    ),
    "Giorgia Meloni": (
        "Meloni", "Giorgia Meloni", "Мелони", "Джорджа Мелони", "Джорджия Мелони", "मेलोनी",
        "जॉर्जिया मेलोनी",
    ),
    "Greta Thunberg": (
        "Thunberg", "Greta Thunberg", "Тунберг", "Грета Тунберг", "ग्रेटा थनबर्ग", "थनबर्ग",
    ),
    "Narendra Modi": (
        "Modi", "Narendra Modi", "Моди", "Нарендра Моди", "मोदी", "नरेंद्र मोदी",
    ),
    "Antony Blinken": (
        "Blinken", "Antony Blinken", "Блинкен", "Энтони Блинкен", "Ентъни Блинкен", "ब्लिंकन",
        "एंटनी ब्लिंकन",
    ),
}

PLACES: dict[str, tuple[str, ...]] = {
    "Kyiv": ("Kyiv", "Kiev", "Kiew", "Kijów", "Kyjiw", "Quieve", "Киев", "Київ", "कीव", "कीएव"),
    "Moscow": ("Moscow", "Moskau", "Moscou", "Mosca", "Moskwa", "Moscovo", "Moscú", "Москва",
               "मॉस्को", "मास्को"),
    "Donbas": ("Donbas", "Donbass", "Донбасс", "Донбас", "डोनबास"),
    "the Kremlin": ("Kremlin", "Kreml", "Cremlino", "Кремль", "Кремъл", "क्रेमलिन"),
    "Crimea": ("Crimea", "Krim", "Crimée", "Crimeia", "Krym", "Крым", "Крим", "क्रीमिया"),
    "Washington": ("Washington", "Waszyngton", "Вашингтон", "वाशिंगटन", "वॉशिंगटन"),
    "Beijing": ("Beijing", "Peking", "Pékin", "Pechino", "Pekin", "Pequim", "Пекин", "बीजिंग"),
    "China": ("China", "Chine", "Cina", "Chiny", "Китай", "चीन"),
    "Germany": ("Germany", "Deutschland", "Allemagne", "Germania", "Niemcy", "Alemanha",
                "Германия", "Німеччина", "जर्मनी"),
    "France": ("France", "Frankreich", "Francia", "Francja", "França", "Франция", "Франція",
               "फ्रांस"),
    "Poland": ("Poland", "Polen", "Pologne", "Polonia", "Polska", "Polsce", "Polónia", "Польша",
               "Полша", "Польща", "पोलैंड"),
    "India": ("India", "Inde", "Indien", "Indie", "Índia", "Индия", "Індія", "भारत"),
    "Europe": ("Europe", "Europa", "Европа", "Європа", "यूरोप"),
    "Hungary": ("Hungary", "Ungarn", "Hongrie", "Ungheria", "Węgry", "Hungria", "Венгрия",
                "Унгария", "Угорщина", "हंगरी"),
    "Belarus": ("Belarus", "Weißrussland", "Biélorussie", "Bielorussia", "Białoruś",
                "Bielorrússia", "Беларусь", "Белоруссия", "Беларус", "Білорусь", "बेलारूस"),
    "Italy": ("Italy", "Italien", "Italie", "Italia", "Włochy", "Itália", "Италия", "Італія",
              "इटली"),
    "Sweden": ("Sweden", "Schweden", "Suède", "Svezia", "Szwecja", "Suécia", "Швеция",
               "Швеція", "स्वीडन"),
    "Mariupol": ("Mariupol", "Marioupol", "Мариуполь", "Маріуполь", "Мариупол",
                 "मारियुपोल"),
    "Bakhmut": ("Bakhmut", "Bachmut", "Bakhmout", "Бахмут", "Артёмовск", "Артемовск", "बखमुत"),
    "Kharkiv": ("Kharkiv", "Kharkov", "Charkiw", "Charków", "Харьков", "Харків",
                "Харков", "खार्किव"),
    "Odesa": ("Odesa", "Odessa", "Одесса", "Одеса", "ओडेसा"),
    "Zaporizhzhia": ("Zaporizhzhia", "Zaporizhia", "Zaporozhye", "Saporischschja", "Zaporijia",
                     "Zaporoże", "Запорожье", "Запоріжжя", "Запорожие"),
    "Kherson": ("Kherson", "Cherson", "Херсон", "खेरसॉन"),
}

# written before a name, in any order ("US-Präsident", "Russian President", "пресс-секретарь
# Кремля"): dropped when what follows is a listed name; Russian, Bulgarian and Polish titles
# in any case (`corpus_names` adds the endings). Single letters (initials, "M.") are dropped too.
_TITLE_WORDS = """
the a an mr mrs ms dr sir president vice prime minister foreign defence defense secretary state
chancellor leader general chairman former russian ukrainian us usa american republican
democrat nato eu european commission chief head spokesman spokesperson
президент премьер министр глава канцлер лидер генсек генеральный секретарь председатель пресс
представитель российский украинский американский сша рф мид кремль бывший экс господин нато
премиер министър генерален секретар държавен външен руския руският украинския американския
сащ
presidente primeiro ministro chanceler líder secretário geral russo ucraniano americano
norte homólogo o os
président premier ministre chancelier chef secrétaire général russe ukrainien américain
ancien ex monsieur mme le la l les
präsident us-präsident bundeskanzler kanzler außenminister ministerpräsident regierungschef
kremlchef russlands russische russischen ukrainische ukrainischen amerikanische
amerikanischen der die den dem des herr frau
cancelliere segretario generale ucraino il lo signor
prezydent kanclerz szef sekretarz generalny rosji ukrainy pan pani rosyjski ukraiński
राष्ट्रपति प्रधानमंत्री पीएम प्रधान मंत्री विदेश रक्षा चांसलर रूसी यूक्रेनी अमेरिकी श्री नेता
महासचिव
"""
TITLES: frozenset[str] = frozenset(_TITLE_WORDS.split())
