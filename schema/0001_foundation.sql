-- 0001_foundation.sql - administrative regions (reference data).
--
-- schema_migrations itself is created by `zikaoctl migrate` before the first
-- migration runs. Regions: every province-level code (for ID-number checks),
-- and the cities and districts of the two provinces zikao serves (Shanxi,
-- Tianjin), from the national administrative division codes.

CREATE TABLE regions (
    code   char(6) PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name   text    NOT NULL,
    level  text    NOT NULL CHECK (level IN ('province', 'city', 'district')),
    parent char(6) REFERENCES regions (code)
);
CREATE INDEX regions_parent_idx ON regions (parent);

INSERT INTO regions (code, name, level, parent) VALUES
('110000','北京市','province',NULL), ('120000','天津市','province',NULL),
('130000','河北省','province',NULL), ('140000','山西省','province',NULL),
('150000','内蒙古自治区','province',NULL), ('210000','辽宁省','province',NULL),
('220000','吉林省','province',NULL), ('230000','黑龙江省','province',NULL),
('310000','上海市','province',NULL), ('320000','江苏省','province',NULL),
('330000','浙江省','province',NULL), ('340000','安徽省','province',NULL),
('350000','福建省','province',NULL), ('360000','江西省','province',NULL),
('370000','山东省','province',NULL), ('410000','河南省','province',NULL),
('420000','湖北省','province',NULL), ('430000','湖南省','province',NULL),
('440000','广东省','province',NULL), ('450000','广西壮族自治区','province',NULL),
('460000','海南省','province',NULL), ('500000','重庆市','province',NULL),
('510000','四川省','province',NULL), ('520000','贵州省','province',NULL),
('530000','云南省','province',NULL), ('540000','西藏自治区','province',NULL),
('610000','陕西省','province',NULL), ('620000','甘肃省','province',NULL),
('630000','青海省','province',NULL), ('640000','宁夏回族自治区','province',NULL),
('650000','新疆维吾尔自治区','province',NULL), ('710000','台湾省','province',NULL),
('810000','香港特别行政区','province',NULL), ('820000','澳门特别行政区','province',NULL);

-- Tianjin
INSERT INTO regions (code, name, level, parent) VALUES ('120100','天津市','city','120000');
INSERT INTO regions (code, name, level, parent) VALUES
('120101','和平区','district','120100'), ('120102','河东区','district','120100'),
('120103','河西区','district','120100'), ('120104','南开区','district','120100'),
('120105','河北区','district','120100'), ('120106','红桥区','district','120100'),
('120110','东丽区','district','120100'), ('120111','西青区','district','120100'),
('120112','津南区','district','120100'), ('120113','北辰区','district','120100'),
('120114','武清区','district','120100'), ('120115','宝坻区','district','120100'),
('120116','滨海新区','district','120100'), ('120117','宁河区','district','120100'),
('120118','静海区','district','120100'), ('120119','蓟州区','district','120100');

-- Shanxi: cities
INSERT INTO regions (code, name, level, parent) VALUES
('140100','太原市','city','140000'), ('140200','大同市','city','140000'),
('140300','阳泉市','city','140000'), ('140400','长治市','city','140000'),
('140500','晋城市','city','140000'), ('140600','朔州市','city','140000'),
('140700','晋中市','city','140000'), ('140800','运城市','city','140000'),
('140900','忻州市','city','140000'), ('141000','临汾市','city','140000'),
('141100','吕梁市','city','140000');

-- Shanxi: districts and counties
INSERT INTO regions (code, name, level, parent) VALUES
('140105','小店区','district','140100'), ('140106','迎泽区','district','140100'),
('140107','杏花岭区','district','140100'), ('140108','尖草坪区','district','140100'),
('140109','万柏林区','district','140100'), ('140110','晋源区','district','140100'),
('140121','清徐县','district','140100'), ('140122','阳曲县','district','140100'),
('140123','娄烦县','district','140100'), ('140181','古交市','district','140100'),
('140212','新荣区','district','140200'), ('140213','平城区','district','140200'),
('140214','云冈区','district','140200'), ('140215','云州区','district','140200'),
('140221','阳高县','district','140200'), ('140222','天镇县','district','140200'),
('140223','广灵县','district','140200'), ('140224','灵丘县','district','140200'),
('140225','浑源县','district','140200'), ('140226','左云县','district','140200'),
('140302','城区','district','140300'), ('140303','矿区','district','140300'),
('140311','郊区','district','140300'), ('140321','平定县','district','140300'),
('140322','盂县','district','140300'),
('140403','潞州区','district','140400'), ('140404','上党区','district','140400'),
('140405','屯留区','district','140400'), ('140406','潞城区','district','140400'),
('140423','襄垣县','district','140400'), ('140425','平顺县','district','140400'),
('140426','黎城县','district','140400'), ('140427','壶关县','district','140400'),
('140428','长子县','district','140400'), ('140429','武乡县','district','140400'),
('140430','沁县','district','140400'), ('140431','沁源县','district','140400'),
('140502','城区','district','140500'), ('140521','沁水县','district','140500'),
('140522','阳城县','district','140500'), ('140524','陵川县','district','140500'),
('140525','泽州县','district','140500'), ('140581','高平市','district','140500'),
('140602','朔城区','district','140600'), ('140603','平鲁区','district','140600'),
('140621','山阴县','district','140600'), ('140622','应县','district','140600'),
('140623','右玉县','district','140600'), ('140681','怀仁市','district','140600'),
('140702','榆次区','district','140700'), ('140703','太谷区','district','140700'),
('140721','榆社县','district','140700'), ('140722','左权县','district','140700'),
('140723','和顺县','district','140700'), ('140724','昔阳县','district','140700'),
('140725','寿阳县','district','140700'), ('140727','祁县','district','140700'),
('140728','平遥县','district','140700'), ('140729','灵石县','district','140700'),
('140781','介休市','district','140700'),
('140802','盐湖区','district','140800'), ('140821','临猗县','district','140800'),
('140822','万荣县','district','140800'), ('140823','闻喜县','district','140800'),
('140824','稷山县','district','140800'), ('140825','新绛县','district','140800'),
('140826','绛县','district','140800'), ('140827','垣曲县','district','140800'),
('140828','夏县','district','140800'), ('140829','平陆县','district','140800'),
('140830','芮城县','district','140800'), ('140881','永济市','district','140800'),
('140882','河津市','district','140800'),
('140902','忻府区','district','140900'), ('140921','定襄县','district','140900'),
('140922','五台县','district','140900'), ('140923','代县','district','140900'),
('140924','繁峙县','district','140900'), ('140925','宁武县','district','140900'),
('140926','静乐县','district','140900'), ('140927','神池县','district','140900'),
('140928','五寨县','district','140900'), ('140929','岢岚县','district','140900'),
('140930','河曲县','district','140900'), ('140931','保德县','district','140900'),
('140932','偏关县','district','140900'), ('140981','原平市','district','140900'),
('141002','尧都区','district','141000'), ('141021','曲沃县','district','141000'),
('141022','翼城县','district','141000'), ('141023','襄汾县','district','141000'),
('141024','洪洞县','district','141000'), ('141025','古县','district','141000'),
('141026','安泽县','district','141000'), ('141027','浮山县','district','141000'),
('141028','吉县','district','141000'), ('141029','乡宁县','district','141000'),
('141030','大宁县','district','141000'), ('141031','隰县','district','141000'),
('141032','永和县','district','141000'), ('141033','蒲县','district','141000'),
('141034','汾西县','district','141000'), ('141081','侯马市','district','141000'),
('141082','霍州市','district','141000'),
('141102','离石区','district','141100'), ('141121','文水县','district','141100'),
('141122','交城县','district','141100'), ('141123','兴县','district','141100'),
('141124','临县','district','141100'), ('141125','柳林县','district','141100'),
('141126','石楼县','district','141100'), ('141127','岚县','district','141100'),
('141128','方山县','district','141100'), ('141129','中阳县','district','141100'),
('141130','交口县','district','141100'), ('141181','孝义市','district','141100'),
('141182','汾阳市','district','141100');
