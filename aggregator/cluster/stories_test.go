package cluster_test

import "strings"

// Stories written for these tests in the style of wire copy. Paragraphs
// are lines, as in feedloom.Item.Text.

const talksMoscow = `The foreign ministers of Russia and Japan, Sergei Lavrov and Taro Kono, held talks in Moscow on Friday, focusing on a peace treaty and joint economic activities on the southern Kuril Islands.
"We have agreed to instruct our deputies to continue work on the legal basis for joint economic activities," Lavrov told a news conference after the talks, adding that the sides still had serious differences.
Kono said Tokyo hoped to speed up the negotiations and proposed that the next round be held in Tokyo before the G20 summit in Osaka in late June.
Russia and Japan have been holding consultations on a peace treaty since the middle of the 20th century. The main stumbling block is the issue of the southern Kuril Islands, which Japan calls its Northern Territories.
The ministers also discussed the situation on the Korean Peninsula and the deployment of US missile defense systems in Japan, which Moscow regards as a threat to its security.`

const talksTokyo = `The foreign ministers of Russia and Japan, Sergei Lavrov and Taro Kono, held talks in Tokyo on Thursday as part of the "two plus two" format, together with the defense ministers Sergei Shoigu and Takeshi Iwaya.
Lavrov said after the meeting that Moscow and Tokyo had agreed to step up contacts between their security councils and to hold joint search and rescue exercises in the autumn.
Kono said the ministers had exchanged views frankly, including on the deployment of US Aegis Ashore systems in Japan, and that Tokyo would continue to explain that they were purely defensive.
Russia and Japan have been holding consultations on a peace treaty since the middle of the 20th century. The main stumbling block is the issue of the southern Kuril Islands, which Japan calls its Northern Territories.`

// talksFollowUp is the next day's story on the same subject.
const talksFollowUp = `Japan's Defense Minister Takeshi Iwaya on Saturday rejected Russia's concerns about the Aegis Ashore missile defense systems, a day after Foreign Minister Sergei Lavrov raised the issue at talks in Moscow.
"The Aegis Ashore is a purely defensive system and poses no threat to neighboring countries," Iwaya told reporters in Tokyo, adding that Japan would operate it on its own.
Lavrov said on Friday that the systems could also fire cruise missiles, in violation of the Intermediate-Range Nuclear Forces Treaty.
Russia and Japan have been holding consultations on a peace treaty since the middle of the 20th century. The main stumbling block is the issue of the southern Kuril Islands, which Japan calls its Northern Territories.`

const matchRovers = `Harbour City Rovers beat Eastfield 2-1 at Quay Park on Saturday to move three points clear at the top of the Coastal League.
Dan Whitlock gave the hosts the lead in the 23rd minute with a header from a corner, before Sam Okafor equalised for Eastfield shortly after half-time.
Substitute Leo Marsh scored the winner in the 81st minute, firing in from the edge of the area after a fine run down the left.
Rovers have now won six of their last seven league matches. Eastfield remain ninth.
Elsewhere on Saturday, Ashford and Millbrook drew 1-1, while Portmore beat Kingsbridge 3-0.`

const matchAshford = `Ashford and Millbrook drew 1-1 at Station Road on Saturday, a result that leaves both sides in mid-table in the Coastal League.
Tom Reyes gave the hosts the lead in the 17th minute with a header from a corner, before Jamal Price equalised for Millbrook shortly after half-time.
Ashford had a late goal ruled out for offside in the 88th minute, after a fine run down the right by substitute Owen Hale.
Ashford have now drawn four of their last seven league matches. Millbrook remain eleventh.
Elsewhere on Saturday, Harbour City Rovers beat Eastfield 2-1, while Portmore beat Kingsbridge 3-0.`

const earningsQ1 = `Nordvik Shipping on Tuesday reported a first-quarter net profit of 412 million crowns, up from 355 million a year earlier, as freight rates on its Asia-Europe routes rose.
Revenue rose 8.4 percent to 3.1 billion crowns, the company said in a statement, beating the average forecast of analysts polled by the company of 2.9 billion crowns.
Chief Executive Ingrid Solberg said the outlook for the rest of the year remained uncertain because of trade tensions, and kept the company's full-year guidance unchanged.
Shares in Nordvik rose 3.2 percent in early trading in Oslo.`

const earningsQ2 = `Nordvik Shipping on Tuesday reported a second-quarter net profit of 388 million crowns, down from 401 million a year earlier, as freight rates on its Asia-Europe routes fell.
Revenue fell 2.1 percent to 3.0 billion crowns, the company said in a statement, missing the average forecast of analysts polled by the company of 3.2 billion crowns.
Chief Executive Ingrid Solberg said the outlook for the rest of the year remained uncertain because of trade tensions, and kept the company's full-year guidance unchanged.
Shares in Nordvik fell 4.1 percent in early trading in Oslo.`

// launchSoyuz and launchProton come from one wire template, three days apart.
const launchSoyuz = `A Soyuz-2.1b carrier rocket with a Glonass-M navigation satellite blasted off from the Plesetsk spaceport in northern Russia on Monday, the Defense Ministry said.
The launch took place at 11:23 Moscow time. Ground stations have taken control of the satellite, the ministry said.
The Glonass system is Russia's answer to the US Global Positioning System. It currently has 26 satellites in orbit, 24 of them in use.`

const launchProton = `A Proton-M carrier rocket with a Yamal-601 communications satellite blasted off from the Baikonur spaceport in Kazakhstan on Thursday, the Roscosmos space corporation said.
The launch took place at 20:52 Moscow time. The satellite is due to separate from the upper stage in about nine hours, the corporation said.
The Proton rocket has been in service since 1965. It will be replaced by the Angara family of rockets in the coming years.`

const quakeMorobe = `A magnitude 7.1 earthquake struck Papua New Guinea's Morobe province on Tuesday, the US Geological Survey said, damaging houses and cutting power in the city of Lae.
The quake struck at a depth of 127 kilometres, 33 kilometres south of the town of Bulolo. No tsunami warning was issued.
Papua New Guinea sits on the Pacific Ring of Fire, an arc of seismic faults around the Pacific Ocean where earthquakes are common.`

const quakeNewIreland = `A magnitude 7.5 earthquake struck Papua New Guinea's New Ireland province on Tuesday, the US Geological Survey said, damaging houses and cutting power in the town of Kokopo.
The quake struck at a depth of 10 kilometres, 46 kilometres south of the town of Namatanai. A tsunami warning was lifted after two hours.
Papua New Guinea sits on the Pacific Ring of Fire, an arc of seismic faults around the Pacific Ocean where earthquakes are common.`

const rbaHold = `The Reserve Bank of Australia kept its cash rate at a record low of 1.5 percent on Tuesday for the 33rd meeting in a row, defying market expectations of a cut.
Governor Philip Lowe said the board judged that the economy would benefit from further improvement in the labour market before inflation returned to target.
The Australian dollar rose half a cent to 70.3 US cents after the decision.`

const rbaCut = `The Reserve Bank of Australia cut its cash rate to a record low of 1.25 percent on Tuesday, the first change in almost three years, to support the labour market.
Governor Philip Lowe said the board judged that the economy would benefit from further improvement in the labour market before inflation returned to target.
The Australian dollar fell a quarter of a cent to 69.4 US cents after the decision.`

// firstParagraph is what a feed carrying only the lead shows.
func firstParagraph(s string) string {
	p, _, _ := strings.Cut(s, "\n")
	return p
}

// asOneLine is the same text from HTML that had no paragraph markup, with
// typographic quotes and dashes.
func asOneLine(s string) string {
	r := strings.NewReplacer("\n", " ", `"`, "“", "'", "’", " - ", " – ")
	return r.Replace(s)
}
